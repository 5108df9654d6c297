package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/safety"
	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// countingOllama counts the chat calls sent to one machine.
type countingOllama struct {
	*llm.Ollama
	calls atomic.Int32
}

func (c *countingOllama) ChatResult(ctx context.Context, req llm.Request, fn func(string) error) (llm.Result, error) {
	c.calls.Add(1)
	return c.Ollama.ChatResult(ctx, req, fn)
}

// simMachine is a simulated Ollama on a loopback port that a test can kill
// and bring back on the same address.
type simMachine struct {
	t      *testing.T
	sim    *ollamasim.Server
	addr   string
	srv    *http.Server
	client *countingOllama
}

func newSimMachine(t *testing.T, opts ollamasim.Options) *simMachine {
	t.Helper()
	m := &simMachine{t: t, sim: ollamasim.New(opts)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = ln.Addr().String()
	m.serve(ln)
	m.client = &countingOllama{Ollama: llm.NewOllama("http://"+m.addr, &http.Client{}, time.Minute)}
	t.Cleanup(func() { m.kill() })
	return m
}

func (m *simMachine) serve(ln net.Listener) {
	m.srv = &http.Server{Handler: m.sim}
	go m.srv.Serve(ln)
}

// kill closes the listener and every connection at once.
func (m *simMachine) kill() { _ = m.srv.Close() }

// revive serves again on the same address.
func (m *simMachine) revive() {
	m.t.Helper()
	var ln net.Listener
	within(m.t, 5*time.Second, "rebind "+m.addr, func() bool {
		var err error
		ln, err = net.Listen("tcp", m.addr)
		return err == nil
	})
	m.serve(ln)
}

// closedURL is a loopback address nobody listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// llmPoolPipeline builds a pipeline whose LLM calls go to machines (one
// slot each) with interception model "ollama/"+model.
func llmPoolPipeline(t *testing.T, model string, clients ...llm.ResultClient) (*Pipeline, store.Store) {
	t.Helper()
	models := testModels
	models.Interception = "ollama/" + model
	p, db, _ := newPipelineWith(t, pipelineOptions{LLM: echoLLM("unused"), Models: &models, Level: safety.Adult})
	for i, c := range clients {
		p.cfg.LLMMachines = append(p.cfg.LLMMachines, &LLMMachine{Name: fmt.Sprintf("ollama-%d", i+1), Provider: llm.ProviderOllama, Client: c, Slots: 1})
	}
	p.cfg.IdleCancel = time.Hour
	return p, db
}

func startInterception(t *testing.T, p *Pipeline, client string) string {
	t.Helper()
	r, err := p.Start(context.Background(), Request{Stages: StagesInterception, Prompt: "a fox", Interception: "dada", ClientID: client})
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// TestRoutesToLoadedModel: two Ollama machines with room for one model
// each, one holding a, the other b (as /api/ps says). A call of a goes to
// the machine holding a, with no model load, whichever machine that is.
func TestRoutesToLoadedModel(t *testing.T) {
	for _, tt := range []struct{ loaded1, loaded2, model, want string }{
		{"a", "b", "a", "ollama-1"},
		{"a", "b", "b", "ollama-2"},
		{"b", "a", "a", "ollama-2"},
	} {
		t.Run(tt.model+" on "+tt.want, func(t *testing.T) {
			opts := ollamasim.Options{Models: []string{"a", "b"}, LoadDelay: 200 * time.Millisecond, MaxLoadedModels: 1}
			m1, m2 := newSimMachine(t, opts), newSimMachine(t, opts)
			for _, w := range []struct {
				m     *simMachine
				model string
			}{{m1, tt.loaded1}, {m2, tt.loaded2}} {
				if _, err := w.m.client.Ollama.Chat(context.Background(), llm.Request{Model: w.model, Messages: []llm.Message{{Role: "user", Content: "hi"}}}, nil); err != nil {
					t.Fatal(err)
				}
			}
			p, db := llmPoolPipeline(t, tt.model, m1.client, m2.client)
			pl := p.LLMPool(llm.ProviderOllama)
			for _, name := range pl.Names() {
				pl.Report(name, ProbeLLM(context.Background(), p.llmMachine(name)))
			}
			id := startInterception(t, p, "c1")
			if r := waitFinal(t, db, id); r.State != store.StateDone {
				t.Fatalf("run %s: %s", r.State, r.ErrorCode)
			}
			got := map[string]int32{"ollama-1": m1.client.calls.Load(), "ollama-2": m2.client.calls.Load()}
			if got[tt.want] != 1 || got["ollama-1"]+got["ollama-2"] != 1 {
				t.Fatalf("calls per machine %v, want the one to %s", got, tt.want)
			}
			if loads := m1.sim.Loads() + m2.sim.Loads(); loads != 2 {
				t.Fatalf("%d model loads, want only the 2 of the warm-up", loads)
			}
		})
	}
}

// TestMachineKilled plays a class on two Ollama machines of one slot:
// one is killed while calls wait for it. Its waiting calls move to the
// other machine and finish; new calls avoid it; it rejoins once it
// answers again and gets calls. No machine ever serves beyond its slot.
func TestMachineKilled(t *testing.T) {
	// A load costs 300 ms, so loads are measured: after its restart
	// ollama-1 must load the model, worth it once ollama-2 has a line.
	opts := ollamasim.Options{Models: []string{"a"}, FirstTokenDelay: 150 * time.Millisecond, TokenDelay: time.Millisecond, LoadDelay: 300 * time.Millisecond}
	m1, m2 := newSimMachine(t, opts), newSimMachine(t, opts)
	p, db := llmPoolPipeline(t, "a", m1.client, m2.client)
	ctx, cancel := context.WithCancel(context.Background())
	healthDone := make(chan struct{})
	go func() { defer close(healthDone); p.RunHealth(ctx, 30*time.Millisecond) }()
	t.Cleanup(func() { cancel(); <-healthDone })
	pl := p.LLMPool(llm.ProviderOllama)

	var ids []string
	for i := range 8 {
		ids = append(ids, startInterception(t, p, fmt.Sprintf("s%d", i)))
	}
	within(t, 5*time.Second, "calls wait for ollama-1", func() bool { return p.Queue("ollama-1").Waiting() >= 2 })
	m1.kill()
	within(t, 5*time.Second, "ollama-1 leaves the pool", func() bool { return !pl.Up("ollama-1") })
	within(t, time.Second, "its line empties at once", func() bool { return p.Queue("ollama-1").Waiting() == 0 })
	before := m1.client.calls.Load()
	for i := range 3 {
		ids = append(ids, startInterception(t, p, fmt.Sprintf("late%d", i)))
	}
	moved := 0
	for _, id := range ids {
		if r := waitFinalWithin(t, db, id, 20*time.Second); r.State != store.StateDone {
			t.Errorf("run %s: %s %s", id, r.State, r.ErrorCode)
		}
		seen := map[string]bool{}
		evs, _ := db.Events(context.Background(), id, 0)
		for _, p := range decodeEvents(t, evs) {
			if q, ok := p.(api.QueueStatusEvent); ok {
				seen[q.Backend] = true
			}
		}
		if seen["ollama-1"] && seen["ollama-2"] {
			moved++
		}
	}
	if moved == 0 {
		t.Error("no run waited for ollama-1 and then for ollama-2")
	}
	if n := m1.client.calls.Load(); n != before {
		t.Errorf("%d calls went to ollama-1 while it was down", n-before)
	}

	m1.revive()
	within(t, 5*time.Second, "ollama-1 rejoins", func() bool { return pl.Up("ollama-1") })
	var again []string
	for i := range 6 {
		again = append(again, startInterception(t, p, fmt.Sprintf("again%d", i)))
	}
	for _, id := range again {
		if r := waitFinalWithin(t, db, id, 20*time.Second); r.State != store.StateDone {
			t.Errorf("run %s: %s %s", id, r.State, r.ErrorCode)
		}
	}
	if m1.client.calls.Load() == before {
		t.Errorf("ollama-1 got no call after it rejoined: %+v", pl.Status())
	}
	for i, m := range []*simMachine{m1, m2} {
		if n := m.sim.MaxInFlight(); n > 1 {
			t.Errorf("ollama-%d served %d calls at once, slots 1", i+1, n)
		}
	}
}

// TestRetryOnConnectFailure: a call that cannot connect is retried once on
// another machine; never twice, and never after output started.
func TestRetryOnConnectFailure(t *testing.T) {
	dead := func() *countingOllama {
		return &countingOllama{Ollama: llm.NewOllama(closedURL(t), &http.Client{}, time.Minute)}
	}
	t.Run("once, on the other machine", func(t *testing.T) {
		m1, m2 := dead(), newSimMachine(t, ollamasim.Options{Models: []string{"a"}})
		p, db := llmPoolPipeline(t, "a", m1, m2.client)
		if r := waitFinal(t, db, startInterception(t, p, "c")); r.State != store.StateDone {
			t.Fatalf("run %s: %s", r.State, r.ErrorCode)
		}
		if m1.calls.Load() != 1 || m2.client.calls.Load() != 1 {
			t.Fatalf("calls %d and %d, want 1 and 1", m1.calls.Load(), m2.client.calls.Load())
		}
		if p.LLMPool(llm.ProviderOllama).Up("ollama-1") {
			t.Fatal("the machine that refused the connection is still in the pool")
		}
	})
	t.Run("only once", func(t *testing.T) {
		m1, m2, m3 := dead(), dead(), dead()
		p, db := llmPoolPipeline(t, "a", m1, m2, m3)
		r := waitFinal(t, db, startInterception(t, p, "c"))
		if r.State != store.StateFailed || r.ErrorCode != string(api.CodeLLMUnavailable) {
			t.Fatalf("run %s %s, want failed llm_unavailable", r.State, r.ErrorCode)
		}
		if n := m1.calls.Load() + m2.calls.Load() + m3.calls.Load(); n != 2 {
			t.Fatalf("%d attempts, want 2", n)
		}
	})
	t.Run("never after output", func(t *testing.T) {
		m1 := newSimMachine(t, ollamasim.Options{Models: []string{"a"}, FailAfterTokens: 2})
		m2 := newSimMachine(t, ollamasim.Options{Models: []string{"a"}})
		p, db := llmPoolPipeline(t, "a", m1.client, m2.client)
		r := waitFinal(t, db, startInterception(t, p, "c"))
		if r.State != store.StateFailed {
			t.Fatalf("run %s, want failed", r.State)
		}
		if m1.client.calls.Load() != 1 || m2.client.calls.Load() != 0 {
			t.Fatalf("calls %d and %d, want 1 and 0", m1.client.calls.Load(), m2.client.calls.Load())
		}
	})
	t.Run("a broken stream is no connect failure", func(t *testing.T) {
		m1 := newSimMachine(t, ollamasim.Options{Models: []string{"a"}, FailAfterTokens: 1})
		_, err := m1.client.Ollama.Chat(context.Background(), llm.Request{Model: "a", Messages: []llm.Message{{Role: "user", Content: "hi"}}}, nil)
		if err == nil || errors.Is(err, llm.ErrConnect) {
			t.Fatalf("err %v: want an error that is not ErrConnect", err)
		}
		_, err = dead().Chat(context.Background(), llm.Request{Model: "a"}, nil)
		if !errors.Is(err, llm.ErrConnect) || !errors.Is(err, llm.ErrUnavailable) {
			t.Fatalf("refused connection: %v, want ErrConnect and ErrUnavailable", err)
		}
	})
}

// TestImageRoutingKeepsCheckpoints: with two idle image machines, a
// generation of a second checkpoint goes to the machine that holds none,
// and the first checkpoint's next generation to the machine that ran it.
func TestImageRoutingKeepsCheckpoints(t *testing.T) {
	ok := func(ctx context.Context, req swarm.T2IRequest) ([]swarm.Image, error) {
		return []swarm.Image{{Path: "View/local/raw/out-1.png", Mime: "image/png", Data: testPNG(8, 6)}}, nil
	}
	m1 := &Images{Swarm: &fakeSwarm{generate: ok}, Comfy: &fakeComfy{}, Machine: "m1"}
	m2 := &Images{Swarm: &fakeSwarm{generate: ok}, Comfy: &fakeComfy{}, Machine: "m2"}
	p, db, _ := newPipelineWith(t, pipelineOptions{LLM: echoLLM("x"), Images: m1, Files: true, Level: safety.Adult, ConfigDir: classOutputs(t, 4)})
	p.cfg.ImageMachines = []*Images{m1, m2}
	for i, tt := range []struct{ out, want string }{{"modelA", "m1"}, {"modelB", "m2"}, {"modelA", "m1"}, {"modelB", "m2"}} {
		r := waitFinal(t, db, startGen(t, p, Request{Text: "a fox", Output: tt.out, ClientID: fmt.Sprint(i)}).ID)
		if r.State != store.StateDone {
			t.Fatalf("generation %d: %s %s", i, r.State, r.ErrorCode)
		}
		if got := detailOf(t, r).Machine; got != tt.want {
			t.Fatalf("generation %d (%s) ran on %s, want %s", i, tt.out, got, tt.want)
		}
	}
}

// TestImageRetryOnConnectFailure: a generation whose machine cannot be
// reached is retried once on the other machine, which then serves it; one
// that failed after the machine reported progress is not retried.
func TestImageRetryOnConnectFailure(t *testing.T) {
	down := fmt.Errorf("swarm: dial: connection refused: %w", swarm.ErrUnavailable)
	for _, tt := range []struct {
		name     string
		progress bool
		want     store.State
		m2Calls  int
	}{
		{"before progress: retried", false, store.StateDone, 1},
		{"after progress: not retried", true, store.StateFailed, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m1 := &Images{Machine: "m1", Comfy: &fakeComfy{}, Swarm: &fakeSwarm{stream: func(ctx context.Context, req swarm.T2IRequest, on func(swarm.Progress)) ([]swarm.Image, error) {
				if tt.progress {
					on(swarm.Progress{Overall: 0.5})
				}
				return nil, down
			}}}
			sw2 := &fakeSwarm{}
			m2 := &Images{Machine: "m2", Comfy: &fakeComfy{}, Swarm: sw2}
			p, db, _ := newPipelineWith(t, pipelineOptions{LLM: echoLLM("x"), Images: m1, Files: true, Level: safety.Adult, ConfigDir: tinyOutputDir(t)})
			p.cfg.ImageMachines = []*Images{m1, m2}
			r := waitFinal(t, db, startGen(t, p, Request{Text: "a fox", Output: "tiny", ClientID: "c"}).ID)
			if r.State != tt.want {
				t.Fatalf("run %s %s, want %s", r.State, r.ErrorCode, tt.want)
			}
			if n := len(sw2.requests()); n != tt.m2Calls {
				t.Fatalf("m2 got %d generations, want %d", n, tt.m2Calls)
			}
			if tt.want == store.StateDone && detailOf(t, r).Machine != "m2" {
				t.Fatalf("recorded machine %q, want m2", detailOf(t, r).Machine)
			}
		})
	}
}
