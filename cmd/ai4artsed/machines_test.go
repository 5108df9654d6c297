package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
)

// TestDemoMachines serves the demo with two machines of each kind: all
// are listed by /api/backends with their queue, and generations of two
// checkpoints are spread over both image machines, none served beyond
// its slot on either API, nor any LLM machine beyond its slots.
func TestDemoMachines(t *testing.T) {
	s := defaultSettings()
	s.DataDir = t.TempDir()
	s.Demo = true
	s.Sim = SimSettings{FirstTokenDelay: time.Millisecond, TokenDelay: time.Millisecond, StepDelay: time.Millisecond, Machines: 2}
	env := &testEnv{}
	env.start(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	list, err := env.client("").Backends(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]*api.BackendQueue{}
	for _, b := range list.Backends {
		seen[b.Name] = b.Queue
	}
	for _, name := range []string{"swarmui-1", "swarmui-2", "comfyui-1", "comfyui-2", "ollama-1", "ollama-2"} {
		if _, ok := seen[name]; !ok {
			t.Fatalf("/api/backends lacks %s: %+v", name, list.Backends)
		}
	}
	if q := seen["swarmui-1"]; q == nil || q.Slots != 1 {
		t.Fatalf("swarmui-1 queue %+v, want 1 slot", q)
	}
	if q := seen["ollama-2"]; q == nil || q.Slots != s.LLMSlots {
		t.Fatalf("ollama-2 queue %+v, want %d slots", q, s.LLMSlots)
	}

	var wg sync.WaitGroup
	for i := range 4 {
		out := "sd35_large"
		if i%2 == 1 {
			out = "flux_dev"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := env.startRunAs(t, fmt.Sprintf("c%d", i), api.RunRequest{Stages: "generation", Text: "a red fox", Output: out})
			if err != nil {
				t.Errorf("start: %v", err)
				return
			}
			if _, err := env.follow(ctx, id, 0, nil); err != nil {
				t.Errorf("follow %s: %v", id, err)
			}
		}()
	}
	wg.Wait()
	llmCalls := 0
	for i, o := range env.App.Demo.Ollamas {
		llmCalls += len(o.Requests())
		if n := o.MaxInFlight(); n > s.LLMSlots {
			t.Errorf("ollama-%d served %d calls at once, slots %d", i+1, n, s.LLMSlots)
		}
	}
	if llmCalls == 0 {
		t.Error("no LLM call reached a simulated Ollama")
	}
	for i, sw := range env.App.Demo.Swarms {
		if n := len(sw.Requests()) + len(sw.Comfy().Prompts()); n == 0 {
			t.Errorf("machine %d got no generation", i+1)
		}
		if sw.MaxInFlight() > 1 || sw.Comfy().MaxInFlight() > 1 {
			t.Errorf("machine %d served %d+%d at once, slots 1", i+1, sw.MaxInFlight(), sw.Comfy().MaxInFlight())
		}
	}
}
