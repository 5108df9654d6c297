package judge

import (
	"container/list"
	"sync"
	"time"
)

// cache is a small LRU of verdicts with a time to live: at most max
// entries; the least recently used goes first, an expired one is a miss.
type cache struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	now   func() time.Time
	order *list.List // front: most recently used; values are *entry
	byKey map[string]*list.Element
}

type entry struct {
	key     string
	v       Verdict
	expires time.Time
}

func newCache(max int, ttl time.Duration, now func() time.Time) *cache {
	return &cache{max: max, ttl: ttl, now: now, order: list.New(), byKey: make(map[string]*list.Element)}
}

// get returns a fresh verdict for key.
func (c *cache) get(key string) (Verdict, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return Verdict{}, false
	}
	e := el.Value.(*entry)
	if !c.now().Before(e.expires) {
		c.order.Remove(el)
		delete(c.byKey, key)
		return Verdict{}, false
	}
	c.order.MoveToFront(el)
	return e.v, true
}

// put stores a verdict, evicting the least recently used past max.
func (c *cache) put(key string, v Verdict) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		e := el.Value.(*entry)
		e.v, e.expires = v, c.now().Add(c.ttl)
		c.order.MoveToFront(el)
		return
	}
	c.byKey[key] = c.order.PushFront(&entry{key: key, v: v, expires: c.now().Add(c.ttl)})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*entry).key)
	}
}

// len is the number of entries, expired ones included.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
