package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/events"
	"github.com/ai4artsed/ai4artsed/internal/llm"
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
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, _, err := catalog.Load(catalog.Builtin(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	hub := events.NewHub(db)
	p := New(Config{Store: db, Hub: hub, Catalog: cat, LLM: l, Models: Models{Interception: "ollama/m"}})
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
	var cur events.Cursor
	for {
		evs, next, ch, err := hub.Since(ctx, id, cur)
		if err != nil {
			t.Fatal(err)
		}
		cur = next
		for _, e := range evs {
			all = append(all, e)
			if e.Type == "done" {
				return all
			}
		}
		if ch == nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatal("run did not finish")
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
	p, db, hub := newPipeline(t, &fakeLLM{chat: func(ctx context.Context, _ llm.Request, _ func(string) error) (string, error) {
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
	unwatch := hub.Watch(holder.ID) // the slot holder is watched
	defer unwatch()
	waiter, err := p.Start(context.Background(), Request{Stages: StagesInterception, Prompt: "second", Interception: "dada", ClientID: "b"})
	if err != nil {
		t.Fatal(err)
	}
	evs := waitDone(t, hub, waiter.ID)
	got, _ := db.GetRun(context.Background(), waiter.ID)
	if got.State != store.StateCancelled || got.ErrorCode != "abandoned" {
		t.Fatalf("unwatched waiting run: state %s code %s (%d events)", got.State, got.ErrorCode, len(evs))
	}
	if h, _ := db.GetRun(context.Background(), holder.ID); h.State.Final() {
		t.Fatalf("the watched run holding the slot ended too: %s", h.State)
	}
}
