package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

func testCreateGet(t *testing.T, s store.Store) {
	want := newRun("r1", store.StateQueued)
	want.Owner = "replica-a"
	mustCreate(t, s, want)
	got := mustGet(t, s, "r1")
	if got.ID != want.ID || got.ClientID != want.ClientID || got.Stages != want.Stages || got.Owner != want.Owner ||
		got.Lang != want.Lang || got.State != want.State || got.ErrorCode != "" || got.ErrorMessage != "" {
		t.Errorf("GetRun = %+v, want %+v", got, want)
	}
	if !jsonEqual(t, got.Input, want.Input) {
		t.Errorf("Input = %s, want %s", got.Input, want.Input)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, base)
	checkTime(t, "UpdatedAt", got.UpdatedAt, base)
	checkTimePtr(t, "FinishedAt", got.FinishedAt, nil)
	if len(got.Stage) != 0 || len(got.Media) != 0 {
		t.Errorf("new run has stages %v, media %v", got.Stage, got.Media)
	}
}

func testCreateDefaults(t *testing.T, s store.Store) {
	before := time.Now()
	r := &store.Run{ID: "r1", Stages: "interception", Lang: "en"}
	mustCreate(t, s, r)
	after := time.Now()
	if r.State != store.StateQueued {
		t.Errorf("State = %q, want queued", r.State)
	}
	// Allow for stores that keep only milliseconds.
	if r.CreatedAt.Before(before.Add(-time.Millisecond)) || r.CreatedAt.After(after) {
		t.Errorf("CreatedAt = %v, want between %v and %v", r.CreatedAt, before, after)
	}
	if !r.UpdatedAt.Equal(r.CreatedAt) {
		t.Errorf("UpdatedAt = %v, want CreatedAt %v", r.UpdatedAt, r.CreatedAt)
	}
	got := mustGet(t, s, "r1")
	if got.State != store.StateQueued || len(got.Input) != 0 || got.ClientID != "" {
		t.Errorf("GetRun = %+v", got)
	}
	if got.CreatedAt.Sub(r.CreatedAt).Abs() >= time.Millisecond {
		t.Errorf("stored CreatedAt = %v, want %v", got.CreatedAt, r.CreatedAt)
	}
}

func testCreateDuplicate(t *testing.T, s store.Store) {
	mustCreate(t, s, newRun("r1", store.StateQueued))
	dup := newRun("r1", store.StateRunning)
	dup.Lang = "en"
	wantErr(t, "CreateRun duplicate", s.CreateRun(context.Background(), dup), store.ErrConflict)
	if got := mustGet(t, s, "r1"); got.State != store.StateQueued || got.Lang != "de" {
		t.Errorf("duplicate changed the run: %+v", got)
	}
}

func testCreateInvalid(t *testing.T, s store.Store) {
	tests := []struct {
		name string
		run  *store.Run
	}{
		{"empty id", newRun("", store.StateQueued)},
		{"unknown state", newRun("r1", "paused")},
		{"invalid input json", &store.Run{ID: "r2", Input: []byte(`{"a":`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, "CreateRun", s.CreateRun(context.Background(), tt.run), store.ErrInvalid)
		})
	}
}

func testNotFound(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, newRun("exists", store.StateQueued))
	tests := []struct {
		name string
		call func() error
	}{
		{"GetRun", func() error { _, err := s.GetRun(ctx, "nope"); return err }},
		{"SetRunState", func() error { return s.SetRunState(ctx, "nope", store.StateRunning, "", "") }},
		{"PutStage", func() error {
			return s.PutStage(ctx, "nope", store.StageResult{Stage: 1, Name: "safety", Status: store.StageStarted, StartedAt: base})
		}},
		{"AppendEvent", func() error {
			return s.AppendEvent(ctx, store.Event{RunID: "nope", Seq: 1, Type: "run", Data: []byte(`{}`), At: base})
		}},
		{"Events", func() error { _, err := s.Events(ctx, "nope", 0); return err }},
		{"PutMedia", func() error {
			return s.PutMedia(ctx, store.Media{ID: "m1", RunID: "nope", Hash: "h", Mime: "image/png", CreatedAt: base})
		}},
		{"GetMedia", func() error { _, err := s.GetMedia(ctx, "nope"); return err }},
		{"GetUpload", func() error { _, err := s.GetUpload(ctx, "nope"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.name, tt.call(), store.ErrNotFound)
		})
	}
}

func testStateTransitions(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, newRun("r1", store.StateQueued))

	if err := s.SetRunState(ctx, "r1", store.StateRunning, "", ""); err != nil {
		t.Fatalf("SetRunState(running): %v", err)
	}
	got := mustGet(t, s, "r1")
	if got.State != store.StateRunning || got.FinishedAt != nil {
		t.Errorf("after running: state %q, finished %v", got.State, got.FinishedAt)
	}
	if !got.UpdatedAt.After(base) {
		t.Errorf("UpdatedAt = %v, want after %v", got.UpdatedAt, base)
	}

	if err := s.SetRunState(ctx, "r1", store.StateFailed, "backend_down", "ComfyUI is not reachable"); err != nil {
		t.Fatalf("SetRunState(failed): %v", err)
	}
	got = mustGet(t, s, "r1")
	if got.State != store.StateFailed || got.ErrorCode != "backend_down" || got.ErrorMessage != "ComfyUI is not reachable" {
		t.Errorf("after failed: %+v", got)
	}
	if got.FinishedAt == nil {
		t.Fatal("FinishedAt not set for a final state")
	}
	if !got.FinishedAt.Equal(got.UpdatedAt) {
		t.Errorf("FinishedAt %v != UpdatedAt %v", got.FinishedAt, got.UpdatedAt)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, base)
}

func testFinalNeverReopens(t *testing.T, s store.Store) {
	ctx := context.Background()
	finals := []store.State{store.StateBlocked, store.StateDone, store.StateFailed, store.StateCancelled, store.StateInterrupted}
	for _, final := range finals {
		t.Run(string(final), func(t *testing.T) {
			id := "run-" + string(final)
			mustCreate(t, s, newRun(id, store.StateRunning))
			if err := s.SetRunState(ctx, id, final, "", ""); err != nil {
				t.Fatalf("SetRunState(%s): %v", final, err)
			}
			first := mustGet(t, s, id)
			if first.FinishedAt == nil {
				t.Fatalf("FinishedAt not set for %s", final)
			}
			for _, next := range []store.State{store.StateQueued, store.StateRunning, store.StateDone, final} {
				wantErr(t, "SetRunState("+string(final)+" -> "+string(next)+")",
					s.SetRunState(ctx, id, next, "x", "y"), store.ErrConflict)
			}
			got := mustGet(t, s, id)
			if got.State != final || got.ErrorCode != "" {
				t.Errorf("final run changed: %+v", got)
			}
			checkTimePtr(t, "FinishedAt", got.FinishedAt, first.FinishedAt)
		})
	}
}

func testSetRunStateInvalid(t *testing.T, s store.Store) {
	mustCreate(t, s, newRun("r1", store.StateQueued))
	wantErr(t, "SetRunState(unknown)", s.SetRunState(context.Background(), "r1", "paused", "", ""), store.ErrInvalid)
	if got := mustGet(t, s, "r1"); got.State != store.StateQueued {
		t.Errorf("state = %q, want queued", got.State)
	}
}

func testStageUpsert(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, newRun("r1", store.StateRunning))
	put := func(r store.StageResult) {
		t.Helper()
		if err := s.PutStage(ctx, "r1", r); err != nil {
			t.Fatalf("PutStage(%d): %v", r.Stage, err)
		}
	}
	put(store.StageResult{Stage: 2, Name: "interception", Status: store.StageStarted, Model: "ollama/llama3", Backend: "ollama", StartedAt: base.Add(time.Second)})
	put(store.StageResult{Stage: 1, Name: "safety", Status: store.StageDone, Verdict: "safe", StartedAt: base, FinishedAt: ptr(base.Add(500 * time.Millisecond))})
	final := store.StageResult{
		Stage: 2, Name: "interception", Status: store.StageDone, Text: "Ein Haus, gemalt wie ein Traum",
		Model: "ollama/llama3", Backend: "ollama", Detail: []byte(`{"tokens":42,"loras":[{"name":"a.safetensors","strength":0.8}]}`),
		StartedAt: base.Add(time.Second), FinishedAt: ptr(base.Add(3 * time.Second)),
	}
	put(final)

	got := mustGet(t, s, "r1").Stage
	if len(got) != 2 {
		t.Fatalf("got %d stages, want 2: %+v", len(got), got)
	}
	if got[0].Stage != 1 || got[0].Verdict != "safe" || got[0].Status != store.StageDone {
		t.Errorf("stage 1 = %+v", got[0])
	}
	checkTimePtr(t, "stage 1 FinishedAt", got[0].FinishedAt, ptr(base.Add(500*time.Millisecond)))
	s2 := got[1]
	if s2.Stage != 2 || s2.Name != final.Name || s2.Status != final.Status || s2.Text != final.Text ||
		s2.Model != final.Model || s2.Backend != final.Backend || s2.Verdict != "" {
		t.Errorf("stage 2 = %+v, want %+v", s2, final)
	}
	if !jsonEqual(t, s2.Detail, final.Detail) {
		t.Errorf("stage 2 Detail = %s, want %s", s2.Detail, final.Detail)
	}
	checkTime(t, "stage 2 StartedAt", s2.StartedAt, final.StartedAt)
	checkTimePtr(t, "stage 2 FinishedAt", s2.FinishedAt, final.FinishedAt)

	wantErr(t, "PutStage(0)", s.PutStage(ctx, "r1", store.StageResult{Stage: 0, Name: "x", StartedAt: base}), store.ErrInvalid)
	wantErr(t, "PutStage bad detail", s.PutStage(ctx, "r1",
		store.StageResult{Stage: 3, Name: "optimization", Detail: []byte(`{"x"`), StartedAt: base}), store.ErrInvalid)
	if n := len(mustGet(t, s, "r1").Stage); n != 2 {
		t.Errorf("invalid PutStage calls stored something: %d stages", n)
	}
}
