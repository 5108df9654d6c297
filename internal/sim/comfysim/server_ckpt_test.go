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
