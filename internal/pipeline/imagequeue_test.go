package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/events"
	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
	"github.com/ai4artsed/ai4artsed/internal/sim/swarmsim"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// TestImageSlotsBoundTheSimulator starts 200 generation runs at once on
// SwarmUI's text-to-image and checks
// that the simulated machine never served more requests at once than the
// image machine has slots.
func TestImageSlotsBoundTheSimulator(t *testing.T) {
	for _, slots := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d slots", slots), func(t *testing.T) {
			sim := swarmsim.New(swarmsim.Options{Comfy: comfysim.Options{StepDelay: 20 * time.Microsecond}})
			srv := httptest.NewServer(sim)
			t.Cleanup(func() { srv.Close(); sim.Close() })
			comfySrv := httptest.NewServer(sim.Comfy())
			t.Cleanup(comfySrv.Close)
			im := &Images{Swarm: swarm.New(srv.URL, srv.Client()), Comfy: comfy.New(comfySrv.URL, &http.Client{})}
			p, db, _ := newPipelineWith(t, pipelineOptions{LLM: echoLLM("a red fox"), Images: im, Files: true, ConfigDir: tinyOutputDir(t)})
			p.cfg.ImageSlots, p.cfg.IdleCancel = slots, time.Hour

			const n = 200
			ids := make([]string, 0, n)
			for i := range n {
				run := startGen(t, p, Request{Text: "a red fox", Output: "tiny", ClientID: fmt.Sprintf("c%d", i)})
				ids = append(ids, run.ID)
			}
			for _, id := range ids {
				if r := waitFinalWithin(t, db, id, 60*time.Second); r.State != store.StateDone {
					t.Fatalf("run %s ended %s %s", id, r.State, r.ErrorCode)
				}
			}
			if got := sim.MaxInFlight() + sim.Comfy().MaxInFlight(); got > slots {
				t.Fatalf("the image machine served %d+%d requests at once, slots %d",
					sim.MaxInFlight(), sim.Comfy().MaxInFlight(), slots)
			}
			if q := p.ImageQueue("swarmui"); q.InUse() != 0 || q.Waiting() != 0 {
				t.Fatalf("image queue after the runs: %d in use, %d waiting", q.InUse(), q.Waiting())
			}
		})
	}
}

// TestWaitingGenerations holds the only image slot and checks that the
// watched waiting generations see positions that never rise, naming the
// machine, and that an unwatched one is cancelled as abandoned without
// reaching the backend.
func TestWaitingGenerations(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	prompts := []string{}
	sw := &fakeSwarm{generate: func(ctx context.Context, req swarm.T2IRequest) ([]swarm.Image, error) {
		mu.Lock()
		prompts = append(prompts, req.Prompt)
		mu.Unlock()
		select {
		case <-release:
			return []swarm.Image{{Path: "View/local/raw/out-1.png", Mime: "image/png", Data: testPNG(8, 6)}}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
	p, db, hub := newPipelineWith(t, pipelineOptions{LLM: echoLLM("x"), Images: &Images{Swarm: sw, Comfy: &fakeComfy{}}, Files: true})
	p.cfg.IdleCancel = 300 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	holder := startGen(t, p, Request{Text: "holder", Output: "sd35_large", ClientID: "h"})
	go func() {
		_ = hub.Follow(ctx, holder.ID, 0, events.Watcher{Event: func(store.Event) error { return nil }})
	}()
	within(t, 5*time.Second, "the holder reaches the backend", func() bool { return p.ImageQueue("swarmui").InUse() == 1 })

	const watched = 4
	positions := make([][]int, watched)
	var wg sync.WaitGroup
	for i := range watched {
		run := startGen(t, p, Request{Text: fmt.Sprintf("w%d", i), Output: "sd35_large", ClientID: fmt.Sprintf("w%d", i)})
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = hub.Follow(ctx, run.ID, 0, events.Watcher{Event: func(e store.Event) error {
				if e.Type != string(api.EventQueueStatus) {
					return nil
				}
				var qs api.QueueStatusEvent
				if err := json.Unmarshal(e.Data, &qs); err != nil || qs.Backend != "swarmui" {
					t.Errorf("queue status %s: %v", e.Data, err)
				}
				if qs.Status == "waiting" {
					mu.Lock()
					positions[i] = append(positions[i], qs.Position)
					mu.Unlock()
				}
				return nil
			}})
		}()
		within(t, 5*time.Second, "the run waits", func() bool { return p.ImageQueue("swarmui").Waiting() == i+1 })
	}
	lost := startGen(t, p, Request{Text: "unwatched", Output: "sd35_large", ClientID: "u"})
	if r := waitFinal(t, db, lost.ID); r.State != store.StateCancelled || r.ErrorCode != "abandoned" {
		t.Fatalf("unwatched waiting generation: %s %s", r.State, r.ErrorCode)
	}
	close(release)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting runs did not finish")
	}
	mu.Lock()
	defer mu.Unlock()
	for i, ps := range positions {
		if len(ps) == 0 {
			t.Errorf("run %d got no waiting status", i)
		}
		for j := 1; j < len(ps); j++ {
			if ps[j] > ps[j-1] {
				t.Errorf("run %d: position rose %v", i, ps)
			}
		}
	}
	if len(prompts) != 1+watched {
		t.Errorf("%d generations reached the backend, want %d: the abandoned one must not", len(prompts), 1+watched)
	}
}

// tinyOutputDir is a config dir with an output "tiny" of 64×64 pixels and
// 2 steps on SwarmUI's text-to-image, so the simulator renders fast.
func tinyOutputDir(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "catalog", "builtin", "output", "sd35_large.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "output"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, backend := range map[string]string{"tiny": "swarmui"} {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "optimization_instruction")
		m["backend"] = backend
		params := m["parameters"].(map[string]any)
		params["width"], params["height"], params["steps"] = 64, 64, 2
		out, _ := json.Marshal(m)
		if err := os.WriteFile(filepath.Join(dir, "output", name+".json"), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// waitFinalWithin is waitFinal with its own deadline.
func waitFinalWithin(t *testing.T, db store.Store, id string, d time.Duration) *store.Run {
	t.Helper()
	var r *store.Run
	within(t, d, "run "+id+" finishes", func() bool {
		got, err := db.GetRun(context.Background(), id)
		r = got
		return err == nil && got.State.Final()
	})
	return r
}

// within waits until cond holds, checking every 5ms, or fails after d.
func within(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(d)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: not within %s", what, d)
		}
	}
}
