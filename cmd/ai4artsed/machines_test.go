package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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

// TestBackendsFile serves machines from backends.json: an Ollama machine
// with two slots and a label, one that is down, and a SwarmUI machine.
// /api/backends lists each by its name; runs are served by the machine
// that is up. A file with an error stops the start, naming file and field.
func TestBackendsFile(t *testing.T) {
	dir := t.TempDir()
	env := newEnv(t, envOptions{mutate: func(s *Settings) {
		file := fmt.Sprintf(`{"machines": [
  {"name": "gpu-b", "kind": "ollama", "url": %q},
  {"name": "gpu-a", "kind": "ollama", "url": %q, "slots": 2, "labels": ["big"]},
  {"name": "art", "kind": "swarmui", "url": %q, "comfyui_url": %q}
]}`, closedURL(t), s.OllamaURL, s.SwarmURL, s.ComfyURL)
		if err := os.WriteFile(filepath.Join(dir, "backends.json"), []byte(file), 0o644); err != nil {
			t.Fatal(err)
		}
		s.ConfigDir = dir
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 3 {
		id := env.startRun(t, interceptionBody(fmt.Sprintf("fox %d", i)))
		if _, err := env.follow(ctx, id, 0, nil); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	list, err := env.client("").Backends(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]api.Backend{}
	for _, b := range list.Backends {
		got[b.Name] = b
	}
	if b := got["gpu-a"]; b.State != "up" || b.Queue == nil || b.Queue.Slots != 2 || len(b.Labels) != 1 || b.Labels[0] != "big" || len(b.Loaded) == 0 {
		t.Errorf("gpu-a: %+v (queue %+v), want up, 2 slots, label big, a loaded model", b, b.Queue)
	}
	if b := got["gpu-b"]; b.State != "down" {
		t.Errorf("gpu-b: %+v, want down", b)
	}
	if _, ok := got["art"]; !ok {
		t.Errorf("no image machine art: %+v", list.Backends)
	}
	if _, ok := got["art-comfyui"]; !ok {
		t.Errorf("no art-comfyui: %+v", list.Backends)
	}
	if _, ok := got["ollama"]; ok {
		t.Errorf("OLLAMA_URL's machine is listed although the file lists LLM machines")
	}
	if n := len(env.Ollama.Requests()); n < 3 {
		t.Errorf("gpu-a served %d calls, want the 3 runs'", n)
	}

	// /metrics shows each machine: its state, queue, slots in use and
	// slots, and the models loaded (docs/backends.md).
	resp, err := http.Get(env.Server.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	metrics := string(body)
	loaded := fmt.Sprintf(`ai4artsed_machine_model_loaded{machine="gpu-a",model="%s"} 1`, b0(got["gpu-a"].Loaded))
	for _, want := range []string{
		`ai4artsed_backend_up{backend="gpu-a",state="up"} 1`, `ai4artsed_backend_up{backend="gpu-b",state="down"} 0`,
		`ai4artsed_backend_up{backend="art",state="up"} 1`,
		`ai4artsed_llm_slots{backend="gpu-a"} 2`, `ai4artsed_llm_slots_in_use{backend="gpu-a"} 0`, `ai4artsed_queue_length{backend="gpu-a"} 0`,
		loaded,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(metrics, `backend="gpu-b",state="up"`) {
		t.Error("/metrics shows the down machine gpu-b up")
	}

	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "backends.json"), []byte(`{"machines": [{"name": "x", "kind": "ollama", "url": "http://127.0.0.1:1", "slots": 0}]}`), 0o644)
	s := defaultSettings()
	s.DataDir, s.ConfigDir = t.TempDir(), bad
	app, err := NewApp(context.Background(), s, newLogger(io.Discard))
	if err == nil {
		app.closeAll()
		t.Fatal("started with a broken backends file")
	}
	if want := filepath.Join(bad, "backends.json") + ": machines[0].slots"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q, want one naming %q", err, want)
	}
}

// b0 is the first of names, or "".
func b0(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// closedURL is a loopback URL nobody listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String()
}
