// Package queue limits how many calls run at once against one backend and
// lets the rest wait in a fair, bounded, observable line.
//
// A Queue has a fixed number of slots. Acquire takes a slot at once if one is
// free; otherwise the caller waits. A caller describes itself with a
// Ticket: its arrival time, its turn and its group. Groups take turns (see
// fair.go); within a group waiters are served by turn, then by arrival
// time, which the caller chooses (a run passes the time it first asked for
// any slot, so a run coming back for its second LLM call goes ahead of runs
// that arrived after it), then in call order. The turn is how many runs the
// caller's student already has under way, so a student's second run never
// delays another student's first (docs/scheduling.md).
// The waiting line has a hard length: past it Acquire fails at once with
// ErrFull. While a caller waits, its status callback learns its 1-based
// position and how long it has waited, at least once per Tick and whenever
// its position drops; once it gets the slot the callback sees Acquired.
// The reported position never rises, also when a caller of a lower turn or
// round goes ahead: it holds still until it is true again.
//
// The Queue reads no settings itself: the caller passes the slot count
// (AI4ARTSED_LLM_SLOTS) and the queue length (AI4ARTSED_QUEUE_MAX).
package queue

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTick is the status period used when Options.Tick is not set.
const DefaultTick = time.Second

// maxChangeGap bounds how long a position change may wait to be reported.
const maxChangeGap = 100 * time.Millisecond

// ErrFull is returned by Acquire, at once, when no slot is free and the
// waiting line is already at its maximum length.
var ErrFull = errors.New("queue: full")

// ErrClosed is returned by Acquire after Close, and to every caller that was
// waiting when Close was called.
var ErrClosed = errors.New("queue: closed")

// Status describes a caller's place in the queue.
type Status struct {
	// Position is the 1-based place in the waiting line (1 = next to get a
	// slot); 0 once the slot is acquired. For one waiter it never increases.
	Position int
	// Waited is the time since Acquire was called.
	Waited time.Duration
	// Acquired is true in the single, final status sent when the slot is
	// granted.
	Acquired bool
}

// Options configures a Queue built with NewWithOptions.
type Options struct {
	// Slots is how many holders may have a slot at once; values below 1
	// mean 1.
	Slots int
	// MaxWaiting is the longest the waiting line may grow; when it is that
	// long and no slot is free, Acquire returns ErrFull. Values below 1 mean
	// no caller may wait.
	MaxWaiting int
	// OnAcquired, if set, is called with the time waited each time a slot is
	// granted (0 when granted at once), e.g. to feed a histogram. It runs on
	// the acquiring goroutine and must be cheap.
	OnAcquired func(waited time.Duration)
	// Tick is the longest gap between two waiting statuses of one waiter
	// (DefaultTick when 0 or negative). The queue reports a little more
	// often than this so that scheduling jitter does not stretch the gaps.
	Tick time.Duration
}

// Queue hands out a fixed number of slots to callers in arrival order. It
// is safe for concurrent use. The zero value is not usable; build one with
// New or NewWithOptions.
type Queue struct {
	slots      int
	maxWaiting int
	onAcquired func(time.Duration)
	period     time.Duration // how often every waiter gets a status
	minGap     time.Duration // shortest gap between two position-change passes

	nudge chan struct{} // cap 1: positions changed, tell the reporter
	stop  chan struct{} // closed by Close

	mu         sync.Mutex
	inUse      int
	waiting    []*waiter // in serving order (see fair.go); index+1 is the position
	groups     map[string]*groupState
	seq        uint64
	closed     bool
	reporting  bool          // the reporter goroutine is running
	reportDone chan struct{} // closed when the latest reporter goroutine exits
}

// New returns a Queue with the given number of slots (below 1 means 1) and
// waiting-line length (below 1 means nobody may wait), reporting statuses
// every DefaultTick.
func New(slots, maxWaiting int) *Queue {
	return NewWithOptions(Options{Slots: slots, MaxWaiting: maxWaiting})
}

// NewWithOptions returns a Queue configured by o.
func NewWithOptions(o Options) *Queue {
	if o.Slots < 1 {
		o.Slots = 1
	}
	if o.MaxWaiting < 0 {
		o.MaxWaiting = 0
	}
	if o.Tick <= 0 {
		o.Tick = DefaultTick
	}
	return &Queue{
		slots:      o.Slots,
		maxWaiting: o.MaxWaiting,
		onAcquired: o.OnAcquired,
		period:     o.Tick - o.Tick/10,
		minGap:     min(o.Tick/10, maxChangeGap),
		groups:     make(map[string]*groupState),
		nudge:      make(chan struct{}, 1),
		stop:       make(chan struct{}),
	}
}

// Acquire blocks until the caller holds a slot or ctx ends.
//
// arrival orders the waiters: earlier arrivals are served first, equal ones
// in call order; a zero arrival means now. onStatus, which may be nil, is
// called on the caller's own goroutine, never after Acquire has returned:
// when the caller has to wait, once at once and then at least once per Tick
// and whenever its position drops; and once with Acquired set when the slot
// is granted, also when it is granted at once. It should be cheap; a slow
// one delays only its own caller's statuses (unread ones are replaced by the
// latest), never the queue or other waiters.
//
// On success Acquire returns a release func that gives the slot back; it is
// safe to call more than once. Otherwise it returns ErrFull (at once, when
// the waiting line is at its maximum), ErrClosed, or ctx.Err(). A caller whose
// ctx ends while waiting leaves the line at once.
func (q *Queue) Acquire(ctx context.Context, arrival time.Time, onStatus func(Status)) (release func(), err error) {
	return q.AcquireTicket(ctx, Ticket{Arrival: arrival}, onStatus)
}

// Ticket says who asks for a slot: when it first arrived, and for whom.
type Ticket struct {
	// Arrival orders waiters of equal turn: earlier first; zero means now.
	Arrival time.Time
	// Turn is how many runs the same client already has under way ahead
	// of this one (0 for a student's first run): within a group, lower
	// turns are served first, so a student's second run never delays
	// another student's first. Negative values mean 0.
	Turn int
	// Group identifies the caller's group (a workshop); empty is the
	// default group. Groups take turns: see the package doc.
	Group string
}

// AcquireTicket is Acquire for a caller described by t; see the package
// doc for how tickets are ordered.
func (q *Queue) AcquireTicket(ctx context.Context, t Ticket, onStatus func(Status)) (release func(), err error) {
	arrival := t.Arrival
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start := time.Now()
	if arrival.IsZero() {
		arrival = start
	}

	q.mu.Lock()
	switch {
	case q.closed:
		q.mu.Unlock()
		return nil, ErrClosed
	case q.inUse < q.slots:
		// Slots are only free while nobody waits, so this is fair.
		q.inUse++
		q.servedLocked(t.Group)
		q.mu.Unlock()
		return q.granted(t.Group, 0, onStatus), nil
	case len(q.waiting) >= q.maxWaiting:
		q.mu.Unlock()
		return nil, ErrFull
	}
	w := q.enqueueLocked(t, arrival, start)
	q.mu.Unlock()

	for {
		select {
		case n := <-w.notes:
			switch n.kind {
			case noteWait:
				if onStatus != nil {
					onStatus(Status{Position: n.pos, Waited: n.waited})
				}
			case noteGrant:
				return q.granted(t.Group, time.Since(start), onStatus), nil
			case noteClosed:
				return nil, ErrClosed
			}
		case <-ctx.Done():
			return nil, q.abandon(w, ctx.Err())
		}
	}
}

// granted reports a granted slot and returns its release func.
func (q *Queue) granted(group string, waited time.Duration, onStatus func(Status)) func() {
	if q.onAcquired != nil {
		q.onAcquired(waited)
	}
	if onStatus != nil {
		onStatus(Status{Waited: waited, Acquired: true})
	}
	var released atomic.Bool
	return func() {
		if released.CompareAndSwap(false, true) {
			q.releaseSlot(group)
		}
	}
}

// abandon takes a waiter whose context ended out of the line. If the slot
// was granted in the meantime it is given back, so it is never lost.
func (q *Queue) abandon(w *waiter, ctxErr error) error {
	q.mu.Lock()
	switch w.state {
	case stateGranted:
		q.mu.Unlock()
		q.releaseSlot(w.group)
		return ctxErr
	case stateClosed:
		q.mu.Unlock()
		return ErrClosed
	}
	q.removeLocked(w)
	q.mu.Unlock()
	q.poke()
	return ctxErr
}

// releaseSlot gives one slot of group back and grants it to the first
// waiter.
func (q *Queue) releaseSlot(group string) {
	q.mu.Lock()
	q.inUse--
	q.releasedLocked(group)
	moved := q.grantLocked()
	q.mu.Unlock()
	if moved {
		q.poke()
	}
}

// Waiting returns how many callers are waiting for a slot.
func (q *Queue) Waiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting)
}

// InUse returns how many slots are held.
func (q *Queue) InUse() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.inUse
}

// Slots returns the number of slots.
func (q *Queue) Slots() int { return q.slots }

// Close shuts the queue: every waiting caller gets ErrClosed at once and
// every later Acquire returns ErrClosed. Slots already held stay held until
// released. Close waits for the queue's status goroutine to stop and is safe
// to call more than once.
func (q *Queue) Close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	for i, w := range q.waiting {
		w.state = stateClosed
		w.post(note{kind: noteClosed})
		q.waiting[i] = nil
	}
	q.waiting = nil
	done := q.reportDone
	q.mu.Unlock()

	close(q.stop)
	if done != nil {
		<-done
	}
}
