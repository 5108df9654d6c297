package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/pipeline"
	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
)

// newSimEnv is newEnv for the LLM stages only, against an Ollama simulator
// built from opts (the configured models are added to opts.Models) and with
// no image backend.
func newSimEnv(t *testing.T, opts ollamasim.Options, mutate func(*Settings)) *testEnv {
	t.Helper()
	s := defaultSettings()
	s.DataDir = t.TempDir()
	s.SwarmAutoStart = false
	s.SwarmURL, s.ComfyURL = "http://127.0.0.1:1", "http://127.0.0.1:1"
	if mutate != nil {
		mutate(&s)
	}
	for _, m := range []string{s.ModelInterception, s.ModelSafety, s.ModelTranslation, s.ModelOptimization, s.ModelVision} {
		_, name, _ := llm.ParseModel(m)
		opts.Models = append(opts.Models, name)
	}
	env := &testEnv{Ollama: ollamasim.New(opts)}
	srv := httptest.NewServer(env.Ollama)
	t.Cleanup(srv.Close)
	s.OllamaURL = srv.URL
	if s.OpenAIBaseURL == "sim" {
		s.OpenAIBaseURL = srv.URL
	}
	env.start(t, s)
	return env
}

// runOutcome is what a student saw of one run.
type runOutcome struct {
	state, code, message, text string
	chunks                     []string
	positions                  []float64 // queue positions while waiting
}

func runOutcomeOf(evs []sseEvent) runOutcome {
	var o runOutcome
	for _, e := range evs {
		switch e.Type {
		case "chunk":
			o.chunks = append(o.chunks, e.Data["text"].(string))
		case "text":
			o.text = e.Data["text"].(string)
		case "error":
			o.code, _ = e.Data["code"].(string)
			o.message, _ = e.Data["message"].(string)
		case "queue_status":
			if e.Data["status"] == "waiting" {
				o.positions = append(o.positions, e.Data["position"].(float64))
			}
		case "done":
			o.state, _ = e.Data["state"].(string)
		}
	}
	return o
}

func TestOllamaConformanceThinkingModelIntercepts(t *testing.T) {
	env := newSimEnv(t, ollamasim.Options{}, func(s *Settings) { s.ModelInterception = "ollama/qwen3-think:8b" })
	o := runOutcomeOf(env.collect(t, env.startRun(t, interceptionBody("a lighthouse at dusk"))))
	if o.state != "done" || strings.TrimSpace(o.text) == "" || strings.Join(o.chunks, "") != o.text {
		t.Fatalf("run %+v: want done with the interception text", o)
	}
	reqs := env.Ollama.Requests()
	if len(reqs) != 1 || reqs[0].Think == nil || *reqs[0].Think || reqs[0].Thinking {
		t.Fatalf("simulator records %+v: want think=false received", reqs)
	}
}

func TestOllamaConformanceEmptyAnswerFailsRun(t *testing.T) {
	// An OpenAI-compatible endpoint gets no think switch, so the thinking
	// model answers only in reasoning text: the answer is empty.
	env := newSimEnv(t, ollamasim.Options{}, func(s *Settings) {
		s.OpenAIBaseURL = "sim"
		s.ModelInterception = "openai/qwen3-think:8b"
	})
	o := runOutcomeOf(env.collect(t, env.startRun(t, interceptionBody("a lighthouse at dusk"))))
	if o.state != "failed" || o.code != "llm_empty_answer" || o.message != "The model gave no answer; ask your teacher to check the model." || len(o.chunks) != 0 {
		t.Fatalf("run %+v: want failed with an empty-answer message and no chunks", o)
	}
}

func TestOllamaConformanceRepeatCutKeepsChunks(t *testing.T) {
	env := newSimEnv(t, ollamasim.Options{TokenDelay: time.Millisecond}, func(s *Settings) { s.ModelInterception = "ollama/tiny-repeat" })
	o := runOutcomeOf(env.collect(t, env.startRun(t, interceptionBody("a lighthouse at dusk"))))
	if o.state != "done" || !strings.HasSuffix(o.text, strings.Repeat("x", 31)) || strings.Join(o.chunks, "") != o.text {
		t.Fatalf("run %+v: want done with every chunk that arrived", o)
	}
	if r := env.Ollama.Requests(); len(r) != 1 || !r[0].RepeatCut {
		t.Fatalf("simulator records %+v: want the repeat cutoff", r)
	}
}

func TestOllamaConformanceLoadFailureHidesPaths(t *testing.T) {
	env := newSimEnv(t, ollamasim.Options{}, func(s *Settings) { s.ModelInterception = "ollama/tiny-broken" })
	o := runOutcomeOf(env.collect(t, env.startRun(t, interceptionBody("a lighthouse at dusk"))))
	if o.state != "failed" || o.code != "model_load_failed" || !strings.Contains(o.message, "could not be loaded") {
		t.Fatalf("run %+v: want failed, the model could not be loaded", o)
	}
	for _, leak := range []string{"/var/", "/usr/", "sha256", "\n", "llama_model_load"} {
		if strings.Contains(o.message, leak) {
			t.Errorf("student message %q contains %q", o.message, leak)
		}
	}
}

// TestOllamaConformanceSerialServer: Ollama serves one generation at a
// time. With our three slots, two runs wait inside it; that wait must count
// only against the first-token deadline, never against OLLAMA_TIMEOUT or
// the idle deadline (both shorter than the wait here). With one slot, the
// waiting runs wait in our queue and see their position.
func TestOllamaConformanceSerialServer(t *testing.T) {
	sim := ollamasim.Options{Parallel: 1, FirstTokenDelay: 400 * time.Millisecond, TokenDelay: 5 * time.Millisecond}
	for _, slots := range []int{3, 1} {
		t.Run(fmt.Sprintf("slots=%d", slots), func(t *testing.T) {
			env := newSimEnv(t, sim, func(s *Settings) {
				s.LLMSlots = slots
				s.OllamaTimeout, s.OllamaIdleTimeout, s.OllamaFirstTokenTimeout = 600*time.Millisecond, 300*time.Millisecond, 20*time.Second
			})
			const n = 3
			ids := make([]string, n)
			for i := range ids {
				id, err := env.startRunAs(t, fmt.Sprintf("browser-%d", i), interceptionBody(fmt.Sprintf("run number %d", i)))
				if err != nil {
					t.Fatalf("run %d: %v", i, err)
				}
				ids[i] = id
				env.waitQueued(t, i+1)
			}
			outs := make([]runOutcome, n)
			var wg sync.WaitGroup
			for i, id := range ids {
				wg.Go(func() { outs[i] = runOutcomeOf(env.collect(t, id)) })
			}
			wg.Wait()
			waited := 0
			for i, o := range outs {
				if o.state != "done" || o.text == "" {
					t.Fatalf("run %d: %+v", i, o)
				}
				if len(o.positions) > 0 && o.positions[0] >= 1 {
					waited++
				}
			}
			if got := env.Ollama.MaxInFlight(); got != 1 {
				t.Errorf("simulator ran %d generations at once, want 1", got)
			}
			longest := time.Duration(0)
			for _, r := range env.Ollama.Requests() {
				longest = max(longest, r.Running.Sub(r.Start))
			}
			switch slots {
			case 3:
				if longest < 600*time.Millisecond {
					t.Errorf("the longest wait inside the simulator was %s; the test needs one longer than OLLAMA_TIMEOUT", longest)
				}
			case 1:
				if waited < n-1 || longest > 200*time.Millisecond {
					t.Errorf("%d runs saw a queue position ≥ 1 (want %d); longest wait inside the simulator %s", waited, n-1, longest)
				}
			}
		})
	}
}

// TestOllamaConformanceStartCheck: the start check looks at every Ollama
// machine of the pool, not only the first: each machine's missing models
// are named with the machine, a machine's model list narrows what it is
// checked for, and an unreachable machine gets one warning within the
// check's bound while the others are still checked.
func TestOllamaConformanceStartCheck(t *testing.T) {
	simA := httptest.NewServer(ollamasim.New(ollamasim.Options{Models: []string{"llama3.1:8b", "llama-guard3:1b"}}))
	defer simA.Close()
	simB := httptest.NewServer(ollamasim.New(ollamasim.Options{Models: []string{"llama3.1:8b"}}))
	defer simB.Close()
	simC := httptest.NewServer(ollamasim.New(ollamasim.Options{Models: []string{"qwen2.5:7b"}}))
	defer simC.Close()
	s := defaultSettings()
	s.OllamaURL, s.LLMSlots = simA.URL, 2
	machine := func(name, url string, models ...string) *pipeline.LLMMachine {
		return &pipeline.LLMMachine{Name: name, Provider: llm.ProviderOllama, Client: llm.NewOllama(url, nil, time.Second), Models: models}
	}
	var logged strings.Builder
	checkLLM(context.Background(), s, []*pipeline.LLMMachine{
		machine("gpu-a", simA.URL), machine("gpu-b", simB.URL),
		machine("gpu-c", simC.URL, "llama3.1:8b"),
	}, newLogger(&logged))
	out := logged.String()
	for _, want := range []string{"ollama=2", "OLLAMA_NUM_PARALLEL", `machine=gpu-b model=llama-guard3:1b fix="ollama pull llama-guard3:1b"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
	if strings.Contains(out, "machine=gpu-a model=") {
		t.Errorf("log %q warns about gpu-a, which has every model", out)
	}
	if !strings.Contains(out, "machine=gpu-c model=llama3.1:8b") || strings.Contains(out, "machine=gpu-c model=llama-guard3") {
		t.Errorf("log %q: gpu-c should be checked for its listed model only", out)
	}
	logged.Reset()
	start := time.Now()
	checkLLM(context.Background(), s, []*pipeline.LLMMachine{machine("down", "http://127.0.0.1:1"), machine("gpu-b", simB.URL)}, newLogger(&logged))
	if !strings.Contains(logged.String(), "could not check") || !strings.Contains(logged.String(), "machine=down") ||
		!strings.Contains(logged.String(), "machine=gpu-b model=llama-guard3:1b") || time.Since(start) > modelCheckTimeout+time.Second {
		t.Errorf("unreachable Ollama: log %q after %s", logged.String(), time.Since(start))
	}
}
