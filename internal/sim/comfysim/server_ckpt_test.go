package comfysim

import (
	"testing"
	"time"
)

// TestUseCheckpoint: only a change of checkpoint costs the load delay.
func TestUseCheckpoint(t *testing.T) {
	s := New(Options{CheckpointLoadDelay: time.Second})
	defer s.Close()
	steps := []struct {
		name  string
		delay time.Duration
		loads int
	}{{"a", time.Second, 1}, {"a", 0, 1}, {"b", time.Second, 2}, {"a", time.Second, 3}}
	for i, st := range steps {
		if d := s.UseCheckpoint(st.name); d != st.delay || s.CheckpointLoads() != st.loads {
			t.Fatalf("step %d (%s): delay %v loads %d, want %v %d", i, st.name, d, s.CheckpointLoads(), st.delay, st.loads)
		}
	}
}

// TestBusy: the worker is busy while a prompt runs (its checkpoint load
// and sampler steps), and not before or after.
func TestBusy(t *testing.T) {
	const step, load = 20 * time.Millisecond, 30 * time.Millisecond
	s, srv := newTestServer(t, Options{StepDelay: step, CheckpointLoadDelay: load})
	if s.Busy() != 0 {
		t.Fatalf("busy %v before any prompt", s.Busy())
	}
	g := baseGraph()
	set(g, "3", "steps", 5)
	start := time.Now()
	runPrompt(t, srv.URL, g)
	took := time.Since(start)
	busy := s.Busy()
	if busy < 5*step+load || busy > took {
		t.Fatalf("busy %v, want %v..%v", busy, 5*step+load, took)
	}
	time.Sleep(2 * step)
	if s.Busy() != busy {
		t.Fatalf("busy grew from %v to %v while idle", busy, s.Busy())
	}
}
