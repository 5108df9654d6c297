package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
)

// TestSwarmProgressMovesBeforeTheImage runs the default output through the
// SwarmUI simulator with a step delay: the student's progress bar moves
// step by step over SwarmUI's websocket before the image arrives.
func TestSwarmProgressMovesBeforeTheImage(t *testing.T) {
	env := newEnv(t, envOptions{sim: SimSettings{StepDelay: 15 * time.Millisecond}})
	id := env.startRun(t, api.RunRequest{Stages: "generation", Text: "a paper boat on a pond", Seed: new(uint64(7)), Lang: "en"})
	evs := env.collect(t, id)
	mediaOf(t, evs) // the run is done and has an image

	distinct := map[int]bool{}
	last, steps := -1, 0
	for _, e := range evs {
		if e.Type == "media" {
			break
		}
		if e.Type != "progress" {
			continue
		}
		var p api.ProgressEvent
		if err := json.Unmarshal([]byte(e.Raw), &p); err != nil {
			t.Fatalf("progress %s: %v", e.Raw, err)
		}
		if p.Stage != 4 {
			continue
		}
		if p.Value < last || p.Value > p.Max {
			t.Errorf("progress %d/%d after %d", p.Value, p.Max, last)
		}
		last, steps = p.Value, p.Max
		distinct[p.Value] = true
	}
	if len(distinct) < 3 || last != steps {
		t.Fatalf("progress before the image took %d distinct values, ending at %d/%d; want at least 3, ending full", len(distinct), last, steps)
	}
	reqs := env.Swarm.Requests()
	if len(reqs) != 1 || !reqs[0].Websocket || reqs[0].Steps != steps {
		t.Errorf("SwarmUI received %+v, want one websocket request of %d steps", reqs, steps)
	}
}
