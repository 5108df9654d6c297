package sqlite

import (
	"context"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

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
