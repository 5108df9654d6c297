package queue

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNeverMoreThanSlotsHeld(t *testing.T) {
	const slots, callers = 3, 50
	q := New(slots, callers)
	var held, maxHeld atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Go(func() {
			rel, err := q.Acquire(context.Background(), time.Now(), nil)
			if err != nil {
				errs <- err
				return
			}
			n := held.Add(1)
			for m := maxHeld.Load(); n > m && !maxHeld.CompareAndSwap(m, n); m = maxHeld.Load() {
			}
			// Simulated work of random length.
			time.Sleep(time.Duration(rand.IntN(3000)+100*(i%3)) * time.Microsecond)
			held.Add(-1)
			rel()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Acquire: %v", err)
	}
	if m := maxHeld.Load(); m > slots {
		t.Errorf("max held at once = %d, want <= %d", m, slots)
	}
	if m := maxHeld.Load(); m < slots {
		t.Errorf("max held at once = %d, want all %d slots used under contention", m, slots)
	}
	if q.InUse() != 0 || q.Waiting() != 0 {
		t.Errorf("after all released: InUse = %d, Waiting = %d, want 0, 0", q.InUse(), q.Waiting())
	}
}

// TestGrantCancelRace releases the slot and cancels the only waiter at the
// same moment, many times: the slot must never be lost or doubled.
func TestGrantCancelRace(t *testing.T) {
	q := NewWithOptions(Options{Slots: 1, MaxWaiting: 5, Tick: 50 * time.Millisecond})
	var won, lost int
	for i := range 300 {
		release := mustHold(t, q)
		w, _ := startWaiting(t, q, time.Now())
		switch i % 3 {
		case 0: // grant first: the grant and ctx.Done are both ready
			release()
			w.cancel()
		case 1: // cancel first: the grant may land before Acquire sees it
			w.cancel()
			release()
		default: // truly concurrent
			go release()
			w.cancel()
		}
		r := w.result(t)
		switch {
		case r.err == nil:
			won++
			r.release()
		case errors.Is(r.err, context.Canceled):
			lost++
		default:
			t.Fatalf("iteration %d: err = %v", i, r.err)
		}
		// The racing release may still be running; a fresh Acquire that
		// succeeds proves the slot came back.
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		rel, err := q.Acquire(ctx, time.Now(), nil)
		cancel()
		if err != nil {
			t.Fatalf("iteration %d: slot lost: %v", i, err)
		}
		rel()
		if q.InUse() != 0 || q.Waiting() != 0 {
			t.Fatalf("iteration %d: InUse = %d, Waiting = %d", i, q.InUse(), q.Waiting())
		}
	}
	t.Logf("granted %d, cancelled %d", won, lost)
	if won == 0 || lost == 0 {
		t.Errorf("granted %d, cancelled %d: want both outcomes exercised", won, lost)
	}
}

// TestStressTimeouts has many callers give up after random short waits while
// others hold slots for random times; afterwards nothing may be held or
// waiting.
func TestStressTimeouts(t *testing.T) {
	const slots, callers = 3, 200
	q := NewWithOptions(Options{Slots: slots, MaxWaiting: callers, Tick: 10 * time.Millisecond})
	var held, over atomic.Int32
	var ok, timedOut atomic.Int32
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rand.IntN(5000))*time.Microsecond)
			defer cancel()
			rel, err := q.Acquire(ctx, time.Now(), func(Status) {})
			if err != nil {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Acquire: %v", err)
				}
				timedOut.Add(1)
				return
			}
			ok.Add(1)
			if held.Add(1) > slots {
				over.Add(1)
			}
			time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond) // simulated work
			held.Add(-1)
			rel()
			rel()
		})
	}
	wg.Wait()
	if over.Load() > 0 {
		t.Errorf("more than %d slots held at once %d times", slots, over.Load())
	}
	if q.InUse() != 0 || q.Waiting() != 0 {
		t.Errorf("InUse = %d, Waiting = %d, want 0, 0", q.InUse(), q.Waiting())
	}
	t.Logf("acquired %d, timed out %d", ok.Load(), timedOut.Load())
}
