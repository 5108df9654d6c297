package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// testWorkshopRuns: the runs of a workshop's devices come page by page in
// order of creation (ties by id), with their stages and media; runs of
// other workshops and other clients never do.
func testWorkshopRuns(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "ana")
	for _, w := range []store.Workshop{newWorkshop("w1", "ABCDEFG", "ana"), newWorkshop("w2", "HJKMNPQ", "ana")} {
		if err := s.CreateWorkshop(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []store.Device{{ID: "d1", WorkshopID: "w1", Nickname: "Wal", CreatedAt: base},
		{ID: "d2", WorkshopID: "w1", Nickname: "Fuchs", CreatedAt: base.Add(time.Second)},
		{ID: "d3", WorkshopID: "w2", Nickname: "Igel", CreatedAt: base}} {
		if err := s.CreateDevice(ctx, d, 0); err != nil {
			t.Fatal(err)
		}
	}
	// r2 and r3 share a time: the id orders them.
	mustCreate(t, s, runAt("r3", store.ClientOfDevice("d2"), store.StateBlocked, base.Add(time.Minute)))
	mustCreate(t, s, runAt("r1", store.ClientOfDevice("d1"), store.StateDone, base))
	mustCreate(t, s, runAt("r2", store.ClientOfDevice("d1"), store.StateRunning, base.Add(time.Minute)))
	mustCreate(t, s, runAt("r4", store.ClientOfDevice("d2"), store.StateDone, base.Add(2*time.Minute)))
	mustCreate(t, s, runAt("other-ws", store.ClientOfDevice("d3"), store.StateDone, base))
	mustCreate(t, s, runAt("no-ws", "c:d1", store.StateDone, base))
	if err := s.PutStage(ctx, "r1", store.StageResult{Stage: 2, Name: "interception", Status: store.StageDone,
		Text: "Ein Haus aus Wolken", Model: "llama", StartedAt: base}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutStage(ctx, "r1", store.StageResult{Stage: 1, Name: "safety", Status: store.StageDone,
		Verdict: "safe", StartedAt: base}); err != nil {
		t.Fatal(err)
	}
	mustMedia(t, s, "m1", "r1", hashA)
	mustMedia(t, s, "m2", "r4", hashB)

	var ids []string
	var after store.RunCursor
	for page := 0; ; page++ {
		runs, err := s.WorkshopRuns(ctx, "w1", after, 3)
		if err != nil {
			t.Fatalf("WorkshopRuns page %d: %v", page, err)
		}
		if len(runs) > 3 || page > 3 {
			t.Fatalf("page %d has %d runs", page, len(runs))
		}
		if len(runs) == 0 {
			break
		}
		for _, r := range runs {
			ids = append(ids, r.ID)
			switch r.ID {
			case "r1":
				if len(r.Stage) != 2 || r.Stage[0].Stage != 1 || r.Stage[1].Text != "Ein Haus aus Wolken" ||
					len(r.Media) != 1 || r.Media[0].ID != "m1" || r.Media[0].Hash != hashA {
					t.Errorf("r1 = stages %+v media %+v", r.Stage, r.Media)
				}
				checkTime(t, "r1 CreatedAt", r.CreatedAt, base)
			case "r4":
				if len(r.Media) != 1 || r.Media[0].ID != "m2" || len(r.Stage) != 0 {
					t.Errorf("r4 = stages %+v media %+v", r.Stage, r.Media)
				}
			}
		}
		after = store.CursorAfter(runs[len(runs)-1])
	}
	if want := []string{"r1", "r2", "r3", "r4"}; !slices.Equal(ids, want) {
		t.Errorf("runs of w1 = %v, want %v", ids, want)
	}
	if runs, err := s.WorkshopRuns(ctx, "w2", store.RunCursor{}, 10); err != nil || len(runs) != 1 || runs[0].ID != "other-ws" {
		t.Errorf("runs of w2 = %v, %v", runs, err)
	}
	_, err := s.WorkshopRuns(ctx, "nope", store.RunCursor{}, 10)
	wantErr(t, "WorkshopRuns(unknown)", err, store.ErrNotFound)
	_, err = s.WorkshopRuns(ctx, "w1", store.RunCursor{}, 0)
	wantErr(t, "WorkshopRuns(limit 0)", err, store.ErrInvalid)

	devs, err := s.WorkshopDevices(ctx, "w1")
	if err != nil || len(devs) != 2 || devs[0].ID != "d1" || devs[0].Nickname != "Wal" || devs[1].ID != "d2" {
		t.Errorf("devices of w1 = %+v, %v", devs, err)
	}
	if devs, err := s.WorkshopDevices(ctx, "w2"); err != nil || len(devs) != 1 {
		t.Errorf("devices of w2 = %+v, %v", devs, err)
	}
	_, err = s.WorkshopDevices(ctx, "nope")
	wantErr(t, "WorkshopDevices(unknown)", err, store.ErrNotFound)
}

// testSettings: before any write the settings are zero; a write replaces
// them whole.
func testSettings(t *testing.T, s store.Store) {
	ctx := context.Background()
	got, err := s.GetSettings(ctx)
	if err != nil || got.SafetyFloor != "" || len(got.DisabledInterceptions) != 0 || len(got.DisabledOutputs) != 0 {
		t.Fatalf("fresh settings = %+v, %v", got, err)
	}
	want := store.ServerSettings{SafetyFloor: "kids", DisabledInterceptions: []string{"dada", "bauhaus"},
		DisabledOutputs: []string{"sd35_large"}, UpdatedBy: "root", UpdatedAt: base}
	for i, w := range []store.ServerSettings{want, {SafetyFloor: "youth", DisabledOutputs: []string{"flux"}, UpdatedBy: "ana"}} {
		if err := s.PutSettings(ctx, w); err != nil {
			t.Fatalf("PutSettings %d: %v", i, err)
		}
		got, err := s.GetSettings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got.SafetyFloor != w.SafetyFloor || !slices.Equal(got.DisabledInterceptions, w.DisabledInterceptions) ||
			!slices.Equal(got.DisabledOutputs, w.DisabledOutputs) || got.UpdatedBy != w.UpdatedBy {
			t.Errorf("settings %d = %+v, want %+v", i, got, w)
		}
		if w.UpdatedAt.IsZero() {
			if got.UpdatedAt.IsZero() || got.UpdatedAt.Location() != time.UTC {
				t.Errorf("UpdatedAt not set: %v", got.UpdatedAt)
			}
		} else {
			checkTime(t, "settings UpdatedAt", got.UpdatedAt, w.UpdatedAt)
		}
	}
}
