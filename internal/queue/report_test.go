package queue

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestPositionsNeverRise puts a returning run with an earlier arrival ahead
// of two waiters: the one it displaces keeps its reported position instead
// of seeing it climb, and every waiter's positions fall until an Acquired
// status ends them.
func TestPositionsNeverRise(t *testing.T) {
	q := NewWithOptions(Options{Slots: 1, MaxWaiting: 10, Tick: 20 * time.Millisecond})
	release := mustHold(t, q)
	now := time.Now()
	a, sa := startWaiting(t, q, now.Add(time.Second))
	b, sb := startWaiting(t, q, now.Add(2*time.Second))
	if sa.Position != 1 || sb.Position != 2 {
		t.Fatalf("first positions = %d, %d, want 1, 2", sa.Position, sb.Position)
	}
	early, se := startWaiting(t, q, now) // comes back, arrived before both
	if se.Position != 1 {
		t.Fatalf("early arrival position = %d, want 1", se.Position)
	}
	// b is now third in line; its next periodic statuses must still say 2.
	// At most one status posted before early entered can still be on its
	// way after the buffer is drained, so of the next three at least two
	// were computed with early ahead.
	logs := map[string][]Status{"a": {sa}, "b": {sb}, "early": {se}}
	for len(b.statuses) > 0 {
		logs["b"] = append(logs["b"], <-b.statuses)
	}
	for range 3 {
		if s := b.next(t); s.Position != 2 {
			t.Fatalf("displaced waiter reported %+v, want position kept at 2", s)
		} else {
			logs["b"] = append(logs["b"], s)
		}
	}

	callers := map[string]*caller{"a": a, "b": b, "early": early}
	release()
	for _, name := range []string{"early", "a", "b"} { // grant order
		c := callers[name]
		r := c.result(t)
		if r.err != nil {
			t.Fatalf("%s: %v", name, r.err)
		}
		r.release()
	}
	for name, c := range callers {
		close(c.statuses)
		for s := range c.statuses {
			logs[name] = append(logs[name], s)
		}
		log := logs[name]
		last := log[len(log)-1]
		if !last.Acquired || last.Position != 0 {
			t.Errorf("%s: last status %+v, want Acquired at position 0", name, last)
		}
		for i, s := range log[:len(log)-1] {
			if s.Acquired || s.Position < 1 {
				t.Errorf("%s: status %d = %+v, want a waiting position >= 1", name, i, s)
			}
			if i > 0 && s.Position > log[i-1].Position {
				t.Errorf("%s: position rose from %d to %d", name, log[i-1].Position, s.Position)
			}
			if i > 0 && s.Waited < log[i-1].Waited {
				t.Errorf("%s: waited went back from %v to %v", name, log[i-1].Waited, s.Waited)
			}
		}
	}
}

// gapRecorder records when each status of one waiter arrived.
type gapRecorder struct {
	times []time.Time
	seen  chan int // number of statuses so far, latest wins
}

func newGapRecorder(capacity int) *gapRecorder {
	return &gapRecorder{times: make([]time.Time, 0, capacity), seen: make(chan int, 1)}
}

func (g *gapRecorder) onStatus(s Status) {
	g.times = append(g.times, time.Now())
	select {
	case <-g.seen:
	default:
	}
	g.seen <- len(g.times)
}

func (g *gapRecorder) gaps() []time.Duration {
	var out []time.Duration
	for i := 1; i < len(g.times); i++ {
		out = append(out, g.times[i].Sub(g.times[i-1]))
	}
	return out
}

// runGapScenario keeps n callers waiting behind a held slot until the first
// of them has seen minStatuses statuses, then closes the queue and returns
// every gap between two statuses of one waiter.
func runGapScenario(t *testing.T, n, minStatuses int) []time.Duration {
	t.Helper()
	q := New(1, n)
	release := mustHold(t, q)
	defer release()
	recs := make([]*gapRecorder, n)
	var wg sync.WaitGroup
	for i := range recs {
		recs[i] = newGapRecorder(minStatuses + 4)
		wg.Go(func() {
			_, err := q.Acquire(context.Background(), time.Now(), recs[i].onStatus)
			if !errors.Is(err, ErrClosed) {
				t.Errorf("waiter %d: err = %v, want ErrClosed", i, err)
			}
		})
	}
	deadline := time.After(time.Duration(minStatuses+5) * DefaultTick)
	for seen := 0; seen < minStatuses; {
		select {
		case seen = <-recs[0].seen:
		case <-deadline:
			q.Close()
			wg.Wait()
			t.Fatalf("first waiter saw only %d statuses", seen)
		}
	}
	q.Close()
	wg.Wait() // Acquire has returned, so every recorder is complete
	var gaps []time.Duration
	for i, r := range recs {
		if len(r.times) < 2 {
			t.Errorf("waiter %d saw %d statuses, want several", i, len(r.times))
		}
		gaps = append(gaps, r.gaps()...)
	}
	return gaps
}

// TestStatusGapsDefaultTick waits about three seconds with the default tick:
// no waiter may go more than 1.2s without a status.
func TestStatusGapsDefaultTick(t *testing.T) {
	gaps := runGapScenario(t, 4, 4)
	if len(gaps) < 4*3 {
		t.Fatalf("only %d gaps recorded", len(gaps))
	}
	for _, g := range gaps {
		if g > 1200*time.Millisecond {
			t.Errorf("gap of %v between statuses, want <= 1.2s", g)
		}
	}
	t.Logf("max gap %v over %d gaps", slices.Max(gaps), len(gaps))
}

// TestStatusGapsAtScale is the scale target: 2,000 waiters, p99 gap
// between two statuses of one waiter under 1.5s.
func TestStatusGapsAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a few seconds")
	}
	gaps := runGapScenario(t, 2000, 4)
	slices.Sort(gaps)
	p99 := gaps[len(gaps)*99/100]
	t.Logf("%d gaps: p50 %v, p99 %v, max %v", len(gaps), gaps[len(gaps)/2], p99, gaps[len(gaps)-1])
	if p99 >= 1500*time.Millisecond {
		t.Errorf("p99 gap %v, want < 1.5s", p99)
	}
}
