package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/events"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/safety"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/sqlite"
)

// fakeLLM is a struct of function fields: each test sets what it needs.
type fakeLLM struct {
	chat func(ctx context.Context, req llm.Request, fn func(string) error) (string, error)
}

func (f *fakeLLM) Chat(ctx context.Context, req llm.Request, fn func(string) error) (string, error) {
	return f.chat(ctx, req, fn)
}

func (f *fakeLLM) Backend(string) string { return "fake" }

func newPipeline(t *testing.T, l LLM) (*Pipeline, store.Store, *events.Hub) {
	t.Helper()
	return newPipelineWith(t, pipelineOptions{LLM: l})
}

// pipelineOptions are what a test may set on the pipeline newPipelineWith
// builds; zero fields keep the defaults.
type pipelineOptions struct {
	LLM    LLM
	Images *Images // nil: generation is unavailable
	Files  bool    // give the pipeline a media store in a temporary directory
	Models *Models // nil: testModels
	// RawLLM sends the judge's and the vision model's calls to LLM too;
	// otherwise they answer SAFE (see safeJudges).
	RawLLM       bool
	Filter       Filter
	Level        safety.Level // the server's level; "" is youth
	JudgeTimeout time.Duration
	ConfigDir    string // extra configs, as AI4ARTSED_CONFIG_DIR
	Logger       *slog.Logger
}

// testModels are the models of a test pipeline.
var testModels = Models{Interception: "ollama/m", Optimization: "ollama/opt", Safety: "ollama/guard",
	Translation: "ollama/translate", Vision: "ollama/vision"}

// safeJudges answers the judge and vision models SAFE and sends every
// other call to the test's LLM, so tests of other stages need not play
// the safety checks.
type safeJudges struct {
	LLM
	models Models
}

func (s safeJudges) Chat(ctx context.Context, req llm.Request, fn func(string) error) (string, error) {
	if req.Model == s.models.Safety || req.Model == s.models.Vision {
		return "SAFE", nil
	}
	return s.LLM.Chat(ctx, req, fn)
}

// newPipelineWith builds a pipeline on a fresh SQLite store and the built-in
// catalog; it is shut down when the test ends.
func newPipelineWith(t *testing.T, o pipelineOptions) (*Pipeline, store.Store, *events.Hub) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, _, err := catalog.Load(catalog.Builtin(), o.ConfigDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var files *media.Files
	if o.Files {
		if files, err = media.NewFiles(filepath.Join(t.TempDir(), "media")); err != nil {
			t.Fatal(err)
		}
	}
	models := testModels
	if o.Models != nil {
		models = *o.Models
	}
	l := o.LLM
	if !o.RawLLM && l != nil {
		l = safeJudges{LLM: l, models: models}
	}
	hub := events.NewHub(db)
	p := New(Config{Store: db, Hub: hub, Catalog: cat, LLM: l, Images: o.Images, Files: files, Models: models,
		Filter: o.Filter, SafetyLevel: o.Level, JudgeTimeout: o.JudgeTimeout, Logger: o.Logger})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	})
	return p, db, hub
}

// waitDone follows a run's events until done and returns them.
func waitDone(t *testing.T, hub *events.Hub, id string) []store.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var all []store.Event
	err := hub.Follow(ctx, id, 0, events.Watcher{Event: func(e store.Event) error {
		all = append(all, e)
		return nil
	}})
	if err != nil {
		t.Fatalf("follow %s: %v", id, err)
	}
	if len(all) == 0 || all[len(all)-1].Type != "done" {
		t.Fatalf("run %s ended without done: %+v", id, all)
	}
	return all
}

// waitFinal waits, without watching the run, until the store has it final.
func waitFinal(t *testing.T, db store.Store, id string) *store.Run {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case <-tick.C:
			r, err := db.GetRun(context.Background(), id)
			if err == nil && r.State.Final() {
				return r
			}
		case <-deadline:
			t.Fatalf("run %s did not finish", id)
		}
	}
}

func TestPanicFailsTheRunNotTheServer(t *testing.T) {
	p, db, hub := newPipeline(t, &fakeLLM{chat: func(context.Context, llm.Request, func(string) error) (string, error) {
		panic("boom")
	}})
	run, err := p.Start(context.Background(), Request{Stages: StagesInterception, Prompt: "x", Interception: "dada"})
	if err != nil {
		t.Fatal(err)
	}
	evs := waitDone(t, hub, run.ID)
	errEv, done := evs[len(evs)-2], evs[len(evs)-1]
	if errEv.Type != "error" || done.Type != "done" {
		t.Fatalf("last events %s %s", errEv.Type, done.Type)
	}
	got, _ := db.GetRun(context.Background(), run.ID)
	if got.State != store.StateFailed || got.ErrorCode != "internal_error" {
		t.Fatalf("run state %s code %s", got.State, got.ErrorCode)
	}
	// The pipeline still works afterwards.
	p.cfg.LLM = &fakeLLM{chat: func(_ context.Context, _ llm.Request, fn func(string) error) (string, error) {
		_ = fn("ok")
		return "ok", nil
	}}
	run, err = p.Start(context.Background(), Request{Stages: StagesInterception, Prompt: "y", Interception: "dada"})
	if err != nil {
		t.Fatal(err)
	}
	evs = waitDone(t, hub, run.ID)
	var d struct{ State string }
	if err := json.Unmarshal(evs[len(evs)-1].Data, &d); err != nil || d.State != "done" {
		t.Fatalf("second run: %s", evs[len(evs)-1].Data)
	}
}

func TestLLMErrorsBecomeTypedRunErrors(t *testing.T) {
	cases := []struct {
		name string
		err  error
		code string
	}{
		{"model missing", llm.ErrModelNotFound, "model_not_found"},
		{"server down", llm.ErrUnavailable, "llm_unavailable"},
		{"timeout", llm.ErrTimeout, "llm_timeout"},
		{"mid-stream error", llm.ErrUpstream, "llm_error"},
		{"garbage", llm.ErrBadResponse, "llm_bad_response"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, db, hub := newPipeline(t, &fakeLLM{chat: func(context.Context, llm.Request, func(string) error) (string, error) {
				return "", errors.Join(errors.New("upstream said no"), tc.err)
			}})
			run, err := p.Start(context.Background(), Request{Stages: StagesInterception, Prompt: "x", Interception: "dada"})
			if err != nil {
				t.Fatal(err)
			}
			waitDone(t, hub, run.ID)
			got, _ := db.GetRun(context.Background(), run.ID)
			if got.State != store.StateFailed || got.ErrorCode != tc.code {
				t.Fatalf("state %s code %s, want failed %s", got.State, got.ErrorCode, tc.code)
			}
		})
	}
}

func TestTriggersAddedOnce(t *testing.T) {
	loras := []catalog.LoRA{{Name: "a.safetensors", Trigger: "kodachrome film photo"}, {Name: "b.safetensors"}}
	got, added := withTriggers("a dog on a beach.", loras)
	if got != "a dog on a beach, kodachrome film photo" || len(added) != 1 {
		t.Fatalf("got %q %v", got, added)
	}
	again, added := withTriggers(got, loras)
	if again != got || len(added) != 0 {
		t.Fatalf("trigger added twice: %q %v", again, added)
	}
}

func TestUnwatchedWaitingRunIsCancelled(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan string, 2)
	p, db, hub := newPipeline(t, &fakeLLM{chat: func(ctx context.Context, req llm.Request, _ func(string) error) (string, error) {
		entered <- req.Messages[len(req.Messages)-1].Content
		select {
		case <-release:
			return "ok", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}})
	defer close(release)
	p.cfg.Slots, p.cfg.IdleCancel = 1, 300*time.Millisecond
	holder, err := p.Start(context.Background(), Request{Stages: StagesInterception, Prompt: "first", Interception: "dada"})
	if err != nil {
		t.Fatal(err)
	}
	// The slot holder is watched, and holds the only slot before the
	// second run asks for it.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = hub.Follow(ctx, holder.ID, 0, events.Watcher{Event: func(store.Event) error { return nil }})
	}()
	select {
	case got := <-entered:
		if got != "first" {
			t.Fatalf("LLM entered by %q first", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the first run never reached the LLM")
	}
	waiter, err := p.Start(context.Background(), Request{Stages: StagesInterception, Prompt: "second", Interception: "dada", ClientID: "b"})
	if err != nil {
		t.Fatal(err)
	}
	got := waitFinal(t, db, waiter.ID)
	if got.State != store.StateCancelled || got.ErrorCode != "abandoned" {
		t.Fatalf("unwatched waiting run: state %s code %s", got.State, got.ErrorCode)
	}
	if h, _ := db.GetRun(context.Background(), holder.ID); h.State.Final() {
		t.Fatalf("the watched run holding the slot ended too: %s", h.State)
	}
	select {
	case got := <-entered:
		t.Fatalf("the abandoned run reached the LLM: %q", got)
	default:
	}
}
