package queue

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// wait is how long a test waits for something that should happen promptly.
const wait = 5 * time.Second

// A caller is one Acquire running on its own goroutine, with its statuses
// and result observable from the test.
type caller struct {
	statuses chan Status
	done     chan result
	cancel   context.CancelFunc
}

type result struct {
	release func()
	err     error
}

// startCaller runs Acquire on a new goroutine. Its statuses are buffered so
// the callback never blocks; the test fails if the buffer overflows.
func startCaller(t *testing.T, q *Queue, arrival time.Time) *caller {
	t.Helper()
	return startTicket(t, q, Ticket{Arrival: arrival})
}

// startTicket is startCaller for a caller described by a Ticket.
func startTicket(t *testing.T, q *Queue, tk Ticket) *caller {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &caller{
		statuses: make(chan Status, 1024),
		done:     make(chan result, 1),
		cancel:   cancel,
	}
	t.Cleanup(cancel)
	go func() {
		rel, err := q.AcquireTicket(ctx, tk, func(s Status) {
			select {
			case c.statuses <- s:
			default:
				panic("status buffer full")
			}
		})
		c.done <- result{rel, err}
	}()
	return c
}

// startWaiting starts a caller and waits until it stands in the line.
func startWaiting(t *testing.T, q *Queue, arrival time.Time) (*caller, Status) {
	t.Helper()
	c := startCaller(t, q, arrival)
	s := c.next(t)
	if s.Acquired {
		t.Fatalf("caller got a slot at once, want it to wait")
	}
	return c, s
}

// next returns the caller's next status.
func (c *caller) next(t *testing.T) Status {
	t.Helper()
	select {
	case s := <-c.statuses:
		return s
	case <-time.After(wait):
		t.Fatalf("no status within %v", wait)
		return Status{}
	}
}

// result returns what the caller's Acquire returned.
func (c *caller) result(t *testing.T) result {
	t.Helper()
	select {
	case r := <-c.done:
		return r
	case <-time.After(wait):
		t.Fatalf("Acquire did not return within %v", wait)
		return result{}
	}
}

// mustHold acquires a slot that must be free.
func mustHold(t *testing.T, q *Queue) func() {
	t.Helper()
	rel, err := q.Acquire(context.Background(), time.Now(), nil)
	if err != nil {
		t.Fatalf("Acquire on a free slot: %v", err)
	}
	return rel
}
