package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// testCancelledContext checks that every call stops at a done context and
// changes nothing.
func testCancelledContext(t *testing.T, db store.Store) {
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
		{"InterruptUnfinished", func() error { _, err := db.InterruptUnfinished(done, time.Now(), interruptEnd); return err }},
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

// Restart simulates a server that stopped while a run was running: the next
// process reopens the same database and interrupts the run. open must return
// a store on the same database each time it is called.
func Restart(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	created := time.Now().UTC().Add(-2 * time.Second).Truncate(time.Millisecond)

	first := open(t)
	for _, id := range []string{"inflight", "finished"} {
		if err := first.CreateRun(ctx, &store.Run{ID: id, Stages: "all", CreatedAt: created}); err != nil {
			t.Fatal(err)
		}
		if err := first.SetRunState(ctx, id, store.StateRunning, "", ""); err != nil {
			t.Fatal(err)
		}
		for seq := int64(1); seq <= 2; seq++ {
			if err := first.AppendEvent(ctx, store.Event{RunID: id, Seq: seq, Type: "chunk", Data: []byte(`{"text":"a"}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := first.SetRunState(ctx, "finished", store.StateDone, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := open(t)
	defer second.Close()
	now := time.Now().UTC().Truncate(time.Microsecond)
	ids, err := second.InterruptUnfinished(ctx, now, interruptEnd)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{"inflight"}) {
		t.Fatalf("interrupted %v, want [inflight]", ids)
	}
	r, err := second.GetRun(ctx, "inflight")
	if err != nil {
		t.Fatal(err)
	}
	if r.State != store.StateInterrupted || r.FinishedAt == nil || !r.FinishedAt.Equal(now) ||
		r.ErrorCode != "interrupted" || r.ErrorMessage == "" {
		t.Errorf("run after restart = %+v", r)
	}
	if err := second.SetRunState(ctx, "inflight", store.StateRunning, "", ""); !errors.Is(err, store.ErrConflict) {
		t.Errorf("SetRunState on the interrupted run = %v, want ErrConflict", err)
	}
	evs, err := second.Events(ctx, "inflight", 3)
	if err != nil || len(evs) != 1 || evs[0].Seq != 4 || evs[0].Type != "done" {
		t.Fatalf("events after 3 = %+v, %v; want the done event with seq 4 after the error event", evs, err)
	}
	var data struct {
		State string `json:"state"`
		MS    int64  `json:"ms"`
	}
	if err := json.Unmarshal(evs[0].Data, &data); err != nil {
		t.Fatal(err)
	}
	if want := now.Sub(created).Milliseconds(); data.State != "interrupted" || data.MS != want {
		t.Errorf("done data = %+v, want state interrupted, ms %d", data, want)
	}
	if evs, _ := second.Events(ctx, "finished", 0); len(evs) != 2 {
		t.Errorf("finished run has %d events, want 2", len(evs))
	}
}
