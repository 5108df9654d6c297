package sqlite

import (
	"context"
	"errors"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// TestHotPathsHonourCancelledContext checks that the prepared-statement
// paths still stop at a done context and change nothing.
func TestHotPathsHonourCancelledContext(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	if err := db.CreateRun(ctx, &store.Run{ID: "r1", Stages: "all"}); err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name string
		call func() error
	}{
		{"AppendEvent", func() error {
			return db.AppendEvent(done, store.Event{RunID: "r1", Seq: 1, Type: "chunk", Data: []byte(`{}`)})
		}},
		{"PutStage", func() error {
			return db.PutStage(done, "r1", store.StageResult{Stage: 1, Name: "safety", Status: store.StageStarted})
		}},
		{"SetRunState", func() error { return db.SetRunState(done, "r1", store.StateRunning, "", "") }},
		{"CreateRun", func() error { return db.CreateRun(done, &store.Run{ID: "r2", Stages: "all"}) }},
		{"Events", func() error { _, err := db.Events(done, "r1", 0); return err }},
		{"GetRun", func() error { _, err := db.GetRun(done, "r1"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a cancelled context = %v, want context.Canceled", tt.name, err)
			}
		})
	}
	r, err := db.GetRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if r.State != store.StateQueued || len(r.Stage) != 0 {
		t.Errorf("run after cancelled writes = state %s, %d stages; want queued, none", r.State, len(r.Stage))
	}
	if evs, err := db.Events(ctx, "r1", 0); err != nil || len(evs) != 0 {
		t.Errorf("events after cancelled append = %v, %v; want none", evs, err)
	}
	if _, err := db.GetRun(ctx, "r2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRun(r2) after cancelled create = %v, want ErrNotFound", err)
	}
}

// TestCallsAfterCloseFail checks that the prepared statements fail cleanly,
// without a panic, once the store is closed.
func TestCallsAfterCloseFail(t *testing.T) {
	db, err := Open(context.Background(), t.TempDir()+"/closed.db")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := db.CreateRun(ctx, &store.Run{ID: "r1", Stages: "all"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func() error{
		"AppendEvent": func() error { return db.AppendEvent(ctx, store.Event{RunID: "r1", Seq: 1, Type: "chunk"}) },
		"PutStage":    func() error { return db.PutStage(ctx, "r1", store.StageResult{Stage: 1}) },
		"SetRunState": func() error { return db.SetRunState(ctx, "r1", store.StateRunning, "", "") },
		"Events":      func() error { _, err := db.Events(ctx, "r1", 0); return err },
		"GetRun":      func() error { _, err := db.GetRun(ctx, "r1"); return err },
		"GetMedia":    func() error { _, err := db.GetMedia(ctx, "m1"); return err },
	}
	for name, call := range calls {
		if err := call(); err == nil {
			t.Errorf("%s after Close succeeded", name)
		}
	}
}
