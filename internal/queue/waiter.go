package queue

import (
	"cmp"
	"slices"
	"time"
)

// A waiter is one caller blocked in Acquire.
//
// The line is a slice sorted by (arrival, seq) rather than a heap: inserting
// is a binary search plus a copy of at most a few thousand pointers (about a
// microsecond), and in return a waiter's position is simply its index, so a
// status pass over every waiter is one linear walk with no sorting.
type waiter struct {
	group   string
	round   int       // the group's turn (fair.go); 0 while one group waits
	turn    int       // Ticket.Turn
	arrival time.Time // wall clock only, so comparisons form a total order
	seq     uint64    // call order, breaks ties between equal arrivals
	start   time.Time // when Acquire was called, for Waited
	lastPos int       // last position sent; positions never go up
	state   waiterState
	notes   chan note // cap 1, latest wins; only written with q.mu held
}

type waiterState uint8

const (
	stateWaiting waiterState = iota
	stateGranted
	stateClosed
)

// A note is what the queue tells a waiting Acquire.
type note struct {
	kind   noteKind
	pos    int
	waited time.Duration
}

type noteKind uint8

const (
	noteWait noteKind = iota
	noteGrant
	noteClosed
)

// post replaces any unread note with n. Callers hold q.mu, so there is only
// one writer and the send after the drain always finds room. Final notes
// (grant, closed) are posted once the waiter has left the line, after which
// nothing is posted again, so they are never overwritten.
func (w *waiter) post(n note) {
	select {
	case <-w.notes:
	default:
	}
	select {
	case w.notes <- n:
	default:
	}
}

// compareWaiters orders the line: lower group round, then lower turn,
// then earlier arrival, then call order.
func compareWaiters(a, b *waiter) int {
	if c := cmp.Compare(a.round, b.round); c != 0 {
		return c
	}
	return compareInGroup(a, b)
}

// enqueueLocked puts a new waiter into the line, posts its first status and
// makes sure the reporter runs.
func (q *Queue) enqueueLocked(t Ticket, arrival, start time.Time) *waiter {
	q.seq++
	w := &waiter{
		group:   t.Group,
		turn:    max(t.Turn, 0),
		arrival: arrival.Round(0),
		seq:     q.seq,
		start:   start,
		notes:   make(chan note, 1),
	}
	i := q.insertLocked(w)
	w.lastPos = i + 1
	w.post(note{kind: noteWait, pos: w.lastPos})
	q.startReporterLocked()
	return w
}

// removeLocked takes a waiting w out of the line.
func (q *Queue) removeLocked(w *waiter) {
	i := slices.Index(q.waiting, w)
	if i < 0 {
		return
	}
	q.waiting = slices.Delete(q.waiting, i, i+1)
	q.leftLocked(w.group)
}

// grantLocked hands free slots to the front of the line and reports whether
// anyone left it.
func (q *Queue) grantLocked() bool {
	n := 0
	for q.inUse < q.slots && len(q.waiting) > 0 {
		w := q.waiting[0]
		w.state = stateGranted
		w.post(note{kind: noteGrant})
		q.inUse++
		n++
		q.waiting = slices.Delete(q.waiting, 0, 1)
		q.servedLocked(w.group)
		q.leftLocked(w.group)
	}
	return n > 0
}
