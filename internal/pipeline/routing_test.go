package pipeline

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestPickMachine routes generations between two image machines of one
// slot each by their lines and the checkpoint each has loaded.
func TestPickMachine(t *testing.T) {
	tests := []struct {
		name    string
		loaded  map[string]string // machine → checkpoint
		waiting map[string]int    // machine → its slot held and this many in line; absent: free
		model   string
		want    string
	}{
		{"both idle: the one with the checkpoint", map[string]string{"m1": "x", "m2": "y"}, nil, "y", "m2"},
		{"both idle, none loaded: the first", nil, nil, "x", "m1"},
		{"busy with it vs idle without: start sooner", map[string]string{"m1": "x", "m2": "y"}, map[string]int{"m1": 0}, "x", "m2"},
		{"long line vs a switch: the switch", map[string]string{"m1": "x", "m2": "y"}, map[string]int{"m1": 2}, "x", "m2"},
		{"both busy: the one with the checkpoint", map[string]string{"m1": "x", "m2": "y"}, map[string]int{"m1": 0, "m2": 0}, "y", "m2"},
		{"shorter line wins when neither has it", map[string]string{"m1": "x", "m2": "y"}, map[string]int{"m1": 1, "m2": 0}, "z", "m2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m1, m2 := &Images{Swarm: &fakeSwarm{}, Comfy: &fakeComfy{}, Machine: "m1"}, &Images{Swarm: &fakeSwarm{}, Comfy: &fakeComfy{}, Machine: "m2"}
			p, _, _ := newPipelineWith(t, pipelineOptions{LLM: echoLLM("x")})
			p.cfg.ImageMachines, p.cfg.Images = []*Images{m1, m2}, m1
			for m, c := range tt.loaded {
				p.checkpoints[m] = c
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for m, n := range tt.waiting {
				q := p.ImageQueue(m)
				rel, err := q.Acquire(ctx, time.Time{}, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer rel()
				for range n {
					go func() {
						if rel, err := q.Acquire(ctx, time.Time{}, nil); err == nil {
							rel()
						}
					}()
				}
				within(t, 5*time.Second, fmt.Sprintf("%d waiting at %s", n, m), func() bool { return q.Waiting() == n })
			}
			if got := p.pickMachine(tt.model).machine(); got != tt.want {
				t.Fatalf("picked %s, want %s", got, tt.want)
			}
			if p.checkpoints[tt.want] != tt.model {
				t.Fatalf("%s did not record checkpoint %s", tt.want, tt.model)
			}
		})
	}
}
