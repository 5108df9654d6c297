package workshop

import (
	"sync"
	"time"
)

// Window counts events per key over a sliding hour, in memory: the runs
// of a device, the generations of a workshop. A restart forgets the
// counts, which errs on the side of the students.
type Window struct {
	span time.Duration

	mu     sync.Mutex
	events map[string][]time.Time
}

// NewWindow counts over span.
func NewWindow(span time.Duration) *Window {
	return &Window{span: span, events: make(map[string][]time.Time)}
}

// Take records one event of key at now unless key already has max events
// in the window (max <= 0: no cap); it reports whether it recorded.
func (w *Window) Take(key string, max int, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	ev := w.events[key]
	i := 0
	for i < len(ev) && !ev[i].After(now.Add(-w.span)) {
		i++
	}
	ev = ev[i:]
	if max > 0 && len(ev) >= max {
		w.events[key] = ev
		return false
	}
	w.events[key] = append(ev, now)
	return true
}

// Forget drops key's counts (a deleted workshop).
func (w *Window) Forget(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.events, key)
}

// Give returns an event Take recorded for key at at (a run that did not
// start after all).
func (w *Window) Give(key string, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ev := w.events[key]
	for i := len(ev) - 1; i >= 0; i-- {
		if ev[i].Equal(at) {
			w.events[key] = append(ev[:i:i], ev[i+1:]...)
			return
		}
	}
}

// Count is how many events of key lie in the window that ends at now.
func (w *Window) Count(key string, now time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, at := range w.events[key] {
		if at.After(now.Add(-w.span)) && !at.After(now) {
			n++
		}
	}
	return n
}
