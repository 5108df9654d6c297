package sharedqueue

import (
	"context"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/queue"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// Queue is one machine's slot queue, shared with the other replicas. It
// has the methods of *queue.Queue that the pipeline uses.
type Queue struct {
	m          *Manager
	name       string
	lim        store.QueueLimits
	onAcquired func(time.Duration)
	poke       chan struct{} // cap 1: look now

	mu      sync.Mutex
	waiters map[int64]*waiter // this replica's waiting tickets
	waiting int               // totals over every replica, from the latest look
	held    int
	lookAt  time.Time // when the latest look was taken
	looking bool      // the looker goroutine runs
	gen     uint64    // counts looks begun
	closed  bool
}

// waiter is a local caller waiting for its ticket's grant.
type waiter struct {
	id    int64
	start time.Time
	gen   uint64    // q.gen when it was registered
	told  int       // the last position sent
	notes chan note // cap 1, the latest note wins
}

type noteKind int

const (
	noteWait noteKind = iota
	noteGranted
	noteLost
	noteClosed
)

type note struct {
	kind noteKind
	pos  int
}

// send replaces an unread note by n; q.mu is held.
func (w *waiter) send(n note) {
	select {
	case <-w.notes:
	default:
	}
	w.notes <- n
}

// AcquireTicket waits until the caller holds one of the machine's slots,
// counted over every replica, or ctx ends; it behaves as
// queue.Queue.AcquireTicket: onStatus hears the global position at once
// and then at least once per tick and whenever it drops, never rising,
// and once with Acquired set. The release func gives the slot back (safe
// to call twice). Errors: queue.ErrFull at once when the line is full,
// queue.ErrClosed, ErrLost, ctx.Err(), or the store's error.
func (q *Queue) AcquireTicket(ctx context.Context, t queue.Ticket, onStatus func(queue.Status)) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if onStatus == nil {
		onStatus = func(queue.Status) {}
	}
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return nil, queue.ErrClosed
	}
	start := time.Now()
	e, err := q.m.o.Store.EnqueueTicket(ctx, store.QueueTicket{Queue: q.name, Replica: q.m.o.Replica,
		Group: t.Group, Turn: t.Turn, Arrival: t.Arrival}, q.lim)
	switch {
	case err != nil:
		return nil, err
	case e.Full:
		return nil, queue.ErrFull
	case e.Granted:
		q.granted(0, onStatus)
		return q.releaser(e.ID), nil
	}

	// The first status at once, from what the store counted: the true
	// position is no higher. Then the looks, and between them, at least
	// once a tick, the latest position again: a slow database delays the
	// news, never the ticks.
	first := e.Waiting + 1
	w := &waiter{id: e.ID, start: start, notes: make(chan note, 1), told: first}
	onStatus(queue.Status{Position: first, Waited: time.Since(start)})
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		q.leave(e.ID)
		return nil, queue.ErrClosed
	}
	w.gen = q.gen
	q.waiters[e.ID] = w
	q.startLocked()
	q.mu.Unlock()
	q.nudge()

	every := q.m.o.Tick - q.m.o.Tick/10
	tick := time.NewTicker(every / 2)
	defer tick.Stop()
	lastPos, lastAt := first, time.Now()
	for {
		select {
		case <-tick.C:
			if time.Since(lastAt) >= every {
				lastAt = time.Now()
				onStatus(queue.Status{Position: lastPos, Waited: time.Since(start)})
			}
		case <-ctx.Done():
			q.drop(w)
			q.leave(e.ID) // also when it was granted meanwhile
			return nil, ctx.Err()
		case n := <-w.notes:
			switch n.kind {
			case noteWait:
				lastPos, lastAt = n.pos, time.Now()
				onStatus(queue.Status{Position: n.pos, Waited: time.Since(start)})
			case noteGranted:
				q.granted(time.Since(start), onStatus)
				return q.releaser(e.ID), nil
			case noteLost:
				return nil, ErrLost
			case noteClosed:
				q.leave(e.ID)
				return nil, queue.ErrClosed
			}
		}
	}
}

func (q *Queue) granted(waited time.Duration, onStatus func(queue.Status)) {
	if q.onAcquired != nil {
		q.onAcquired(waited)
	}
	onStatus(queue.Status{Acquired: true, Waited: waited})
}

// releaser returns the func that gives ticket id back.
func (q *Queue) releaser(id int64) func() {
	return sync.OnceFunc(func() { q.leave(id) })
}

// leave removes ticket id from the store, trying once more after a pause
// when the store fails: a ticket left behind would hold its slot until
// this replica's lease expires.
func (q *Queue) leave(id int64) {
	for attempt := 0; attempt < 2; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), leaveTimeout)
		err := q.m.o.Store.LeaveQueue(ctx, q.name, id, q.lim)
		cancel()
		if err == nil {
			return
		}
		q.m.o.Log.Warn("shared queue: giving a ticket back failed", "queue", q.name, "ticket", id, "err", err)
		time.Sleep(time.Second)
	}
}

// grantedElsewhere hands the slot to the local waiters among the tickets a
// note says were granted; the others are other replicas'.
func (q *Queue) grantedElsewhere(ids []int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, id := range ids {
		if w := q.waiters[id]; w != nil {
			w.send(note{kind: noteGranted})
			delete(q.waiters, id)
		}
	}
}

// drop forgets a local waiter.
func (q *Queue) drop(w *waiter) {
	q.mu.Lock()
	delete(q.waiters, w.id)
	q.mu.Unlock()
}

// nudge asks the looker for a look soon.
func (q *Queue) nudge() {
	select {
	case q.poke <- struct{}{}:
	default:
	}
}

// startLocked starts the looker unless it runs; q.mu is held.
func (q *Queue) startLocked() {
	if q.looking || q.closed {
		return
	}
	q.looking = true
	q.m.wg.Add(1)
	go q.lookLoop()
}

// lookLoop looks at the queue when nudged and every tick while local
// callers wait, and hands out what it sees; it ends after a look that
// finds nobody waiting here.
func (q *Queue) lookLoop() {
	defer q.m.wg.Done()
	tick := time.NewTimer(q.m.o.Tick)
	defer tick.Stop()
	var last, granted time.Time
	for {
		// Grants happen when tickets leave; a waiting replica also asks
		// each tick, which frees dead replicas' slots and catches a
		// departure that raced with an arrival.
		grant := time.Since(granted) >= q.m.o.Tick
		if gap := minGap - time.Since(last); gap > 0 && !last.IsZero() {
			time.Sleep(gap)
		}
		q.mu.Lock()
		if q.closed {
			q.looking = false
			q.mu.Unlock()
			return
		}
		q.gen++
		gen := q.gen
		q.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), leaveTimeout)
		if grant {
			granted = time.Now()
			if err := q.m.o.Store.GrantQueue(ctx, q.name, q.lim); err != nil {
				q.m.o.Log.Warn("shared queue: grant failed", "queue", q.name, "err", err)
			}
		}
		look, err := q.m.o.Store.LookQueue(ctx, q.name, q.m.o.Replica)
		cancel()
		last = time.Now()
		if err != nil {
			q.m.o.Log.Warn("shared queue: look failed", "queue", q.name, "err", err)
		}

		q.mu.Lock()
		if err == nil {
			q.deliverLocked(look, gen, last)
		}
		if len(q.waiters) == 0 || q.closed {
			q.looking = false
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()

		if !tick.Stop() {
			select {
			case <-tick.C:
			default:
			}
		}
		tick.Reset(q.m.o.Tick)
		select {
		case <-q.poke:
		case <-tick.C:
		}
	}
}

// deliverLocked tells each local waiter what look (begun as look number
// gen) says of it; q.mu is held.
func (q *Queue) deliverLocked(look store.QueueLook, gen uint64, now time.Time) {
	q.waiting, q.held, q.lookAt = look.Waiting, look.Held, now
	for id, w := range q.waiters {
		if look.Granted[id] {
			w.send(note{kind: noteGranted})
			delete(q.waiters, id)
			continue
		}
		pos, ok := look.Position[id]
		if !ok {
			if w.gen < gen { // stored before the look began, and gone
				w.send(note{kind: noteLost})
				delete(q.waiters, id)
			}
			continue
		}
		// Never rises: hold still until it is true again. Only news is
		// sent; the waiter repeats its latest position each tick itself.
		if pos < w.told {
			w.told = pos
			w.send(note{kind: noteWait, pos: pos})
		}
	}
}

// Waiting reports how many calls wait in the queue over every replica, as
// of the latest look (at most about a tick old while anyone here waits; a
// stale figure starts a look).
func (q *Queue) Waiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.refreshLocked()
	return q.waiting
}

// InUse reports how many slots are held over every replica, as Waiting.
func (q *Queue) InUse() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.refreshLocked()
	return q.held
}

// refreshLocked starts a look when the totals are older than a tick.
func (q *Queue) refreshLocked() {
	if !q.looking && !q.closed && time.Since(q.lookAt) > q.m.o.Tick {
		q.startLocked()
	}
}

// Slots reports the machine's slots.
func (q *Queue) Slots() int { return q.lim.Slots }

// Close fails every local waiter with queue.ErrClosed and refuses new
// callers; slots held stay held until released.
func (q *Queue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	for id, w := range q.waiters {
		w.send(note{kind: noteClosed})
		delete(q.waiters, id)
	}
	q.nudge()
}
