package queue

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestNewClampsSlots(t *testing.T) {
	tests := []struct {
		slots, want int
	}{{-2, 1}, {0, 1}, {1, 1}, {3, 3}}
	for _, tt := range tests {
		if got := New(tt.slots, 10).Slots(); got != tt.want {
			t.Errorf("New(%d, 10).Slots() = %d, want %d", tt.slots, got, tt.want)
		}
	}
}

func TestAcquireAtOnceReportsAcquired(t *testing.T) {
	var waits []time.Duration
	q := NewWithOptions(Options{Slots: 2, MaxWaiting: 5, OnAcquired: func(d time.Duration) { waits = append(waits, d) }})
	var got []Status
	rel, err := q.Acquire(context.Background(), time.Now(), func(s Status) { got = append(got, s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].Acquired || got[0].Position != 0 {
		t.Fatalf("statuses = %+v, want one Acquired status", got)
	}
	if len(waits) != 1 || waits[0] != 0 {
		t.Fatalf("OnAcquired waits = %v, want [0]", waits)
	}
	if n := q.InUse(); n != 1 {
		t.Fatalf("InUse = %d, want 1", n)
	}
	rel()
	if n := q.InUse(); n != 0 {
		t.Fatalf("InUse after release = %d, want 0", n)
	}
}

func TestGrantOrder(t *testing.T) {
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	tests := []struct {
		name     string
		arrivals []time.Time // in call order
		want     []int       // indexes into arrivals, in grant order
	}{
		{"call order", []time.Time{at(1), at(2), at(3)}, []int{0, 1, 2}},
		{"late caller with earlier arrival goes first", []time.Time{at(1), at(2), at(3), at(0)}, []int{3, 0, 1, 2}},
		{"late caller slots in the middle", []time.Time{at(1), at(5), at(9), at(4)}, []int{0, 3, 1, 2}},
		{"ties served in call order", []time.Time{at(2), at(1), at(2), at(1)}, []int{1, 3, 0, 2}},
		{"zero arrival means now", []time.Time{at(1), {}, at(2)}, []int{0, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := NewWithOptions(Options{Slots: 1, MaxWaiting: 10, Tick: 50 * time.Millisecond})
			release := mustHold(t, q)
			granted := make(chan int, len(tt.arrivals))
			errs := make(chan error, len(tt.arrivals))
			var wg sync.WaitGroup
			for i, arr := range tt.arrivals {
				entered := make(chan struct{})
				wg.Go(func() {
					var once sync.Once
					rel, err := q.Acquire(context.Background(), arr, func(Status) { once.Do(func() { close(entered) }) })
					if err != nil {
						errs <- err
						return
					}
					granted <- i // the only slot is held until after this send
					rel()
				})
				select {
				case <-entered:
				case <-time.After(wait):
					t.Fatalf("caller %d never entered the line", i)
				}
			}
			release()
			wg.Wait()
			close(granted)
			close(errs)
			for err := range errs {
				t.Fatalf("Acquire: %v", err)
			}
			var got []int
			for i := range granted {
				got = append(got, i)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("grant order = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("grant order = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestErrFull(t *testing.T) {
	tests := []struct {
		name             string
		slots, max, wait int
	}{
		{"no waiting room", 1, 0, 0},
		{"negative max means no waiting room", 2, -1, 0},
		{"line at its max", 2, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := NewWithOptions(Options{Slots: tt.slots, MaxWaiting: tt.max, Tick: 50 * time.Millisecond})
			for range tt.slots {
				defer mustHold(t, q)()
			}
			for range tt.wait {
				startWaiting(t, q, time.Now())
			}
			called := false
			start := time.Now()
			rel, err := q.Acquire(context.Background(), time.Now(), func(Status) { called = true })
			if !errors.Is(err, ErrFull) || rel != nil {
				t.Fatalf("Acquire = %v, %v; want nil, ErrFull", rel != nil, err)
			}
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Errorf("ErrFull took %v, want at once", d)
			}
			if called {
				t.Error("onStatus called for a rejected caller")
			}
			if n := q.Waiting(); n != tt.wait {
				t.Errorf("Waiting = %d, want %d", n, tt.wait)
			}
		})
	}
}

func TestCloseWakesWaitersAndRejectsLater(t *testing.T) {
	q := NewWithOptions(Options{Slots: 1, MaxWaiting: 10, Tick: 50 * time.Millisecond})
	release := mustHold(t, q)
	var callers []*caller
	for range 3 {
		c, _ := startWaiting(t, q, time.Now())
		callers = append(callers, c)
	}
	q.Close()
	for i, c := range callers {
		if r := c.result(t); !errors.Is(r.err, ErrClosed) || r.release != nil {
			t.Errorf("waiter %d: err = %v, want ErrClosed", i, r.err)
		}
		for len(c.statuses) > 0 {
			if s := <-c.statuses; s.Acquired {
				t.Errorf("waiter %d saw Acquired after Close", i)
			}
		}
	}
	if _, err := q.Acquire(context.Background(), time.Now(), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Acquire after Close: err = %v, want ErrClosed", err)
	}
	if n := q.InUse(); n != 1 {
		t.Errorf("InUse after Close = %d, want the held slot to stay held", n)
	}
	if n := q.Waiting(); n != 0 {
		t.Errorf("Waiting after Close = %d, want 0", n)
	}
	release()
	if n := q.InUse(); n != 0 {
		t.Errorf("InUse after release = %d, want 0", n)
	}
	q.Close() // a second Close must be harmless
}

func TestCancelLeavesLineAndOthersMoveUp(t *testing.T) {
	// A long Tick proves that the move-up is reported promptly, not on the
	// next periodic pass.
	q := NewWithOptions(Options{Slots: 1, MaxWaiting: 10, Tick: time.Minute})
	release := mustHold(t, q)
	a, _ := startWaiting(t, q, time.Now())
	b, _ := startWaiting(t, q, time.Now())
	c, sc := startWaiting(t, q, time.Now())
	if sc.Position != 3 {
		t.Fatalf("third waiter position = %d, want 3", sc.Position)
	}

	start := time.Now()
	b.cancel()
	if r := b.result(t); !errors.Is(r.err, context.Canceled) || r.release != nil {
		t.Fatalf("cancelled waiter: err = %v, want context.Canceled", r.err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("cancelled Acquire took %v to return", d)
	}
	if s := c.next(t); s.Position != 2 || s.Acquired {
		t.Errorf("after a cancel ahead, waiter behind got %+v, want position 2", s)
	}
	if n := q.Waiting(); n != 2 {
		t.Errorf("Waiting = %d, want 2", n)
	}

	release()
	ra := a.result(t)
	if ra.err != nil {
		t.Fatalf("first waiter: %v", ra.err)
	}
	if s := c.next(t); s.Position != 1 {
		t.Errorf("after a grant ahead, waiter behind got %+v, want position 1", s)
	}
	ra.release()
	rc := c.result(t)
	if rc.err != nil {
		t.Fatalf("last waiter: %v", rc.err)
	}
	rc.release()
	if q.InUse() != 0 || q.Waiting() != 0 {
		t.Errorf("InUse = %d, Waiting = %d, want 0, 0", q.InUse(), q.Waiting())
	}
}

func TestAcquireWithEndedContext(t *testing.T) {
	q := New(1, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Acquire(ctx, time.Now(), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := q.InUse(); n != 0 {
		t.Fatalf("InUse = %d, want 0", n)
	}
}

func TestReleaseIdempotent(t *testing.T) {
	q := NewWithOptions(Options{Slots: 1, MaxWaiting: 5, Tick: 50 * time.Millisecond})
	release := mustHold(t, q)
	w, _ := startWaiting(t, q, time.Now())
	release()
	release()
	r := w.result(t)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if n := q.InUse(); n != 1 {
		t.Fatalf("InUse after double release with a waiter = %d, want 1", n)
	}
	// The slot must still be taken: a newcomer has to wait.
	c, _ := startWaiting(t, q, time.Now())
	r.release()
	r.release()
	rc := c.result(t)
	if rc.err != nil {
		t.Fatal(rc.err)
	}
	rc.release()
	if n := q.InUse(); n != 0 {
		t.Fatalf("InUse = %d, want 0", n)
	}
}
