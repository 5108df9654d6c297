package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

const hashC = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"

func runAt(id, client string, st store.State, at time.Time) *store.Run {
	r := newRun(id, st)
	r.ClientID, r.CreatedAt, r.UpdatedAt = client, at, at
	return r
}

func mustMedia(t *testing.T, s store.Store, id, runID, hash string) {
	t.Helper()
	if err := s.PutMedia(context.Background(), store.Media{ID: id, RunID: runID, Hash: hash, Mime: "image/png"}); err != nil {
		t.Fatalf("PutMedia(%s): %v", id, err)
	}
}

func gone(t *testing.T, s store.Store, runIDs ...string) {
	t.Helper()
	for _, id := range runIDs {
		_, err := s.GetRun(context.Background(), id)
		wantErr(t, "GetRun("+id+") after delete", err, store.ErrNotFound)
		evs, err := s.Events(context.Background(), id, 0)
		if len(evs) != 0 {
			t.Errorf("events of %s survived: %v %v", id, evs, err)
		}
	}
}

func testDeleteOlderThan(t *testing.T, s store.Store) {
	ctx := context.Background()
	cut := base.Add(24 * time.Hour)
	mustCreate(t, s, runAt("old", "c:a", store.StateDone, base))
	mustCreate(t, s, runAt("oldrunning", "c:a", store.StateRunning, base))
	mustCreate(t, s, runAt("new", "c:a", store.StateDone, cut.Add(time.Second)))
	mustAppend(t, s, store.Event{RunID: "old", Seq: 1, Type: "stage", Data: []byte(`{}`)})
	mustMedia(t, s, "m-old", "old", hashA)    // only the old run: orphaned
	mustMedia(t, s, "m-shared", "old", hashB) // also used by the new run: kept
	mustMedia(t, s, "m-new", "new", hashB)
	for _, u := range []store.Upload{
		{ID: "u-old", Hash: hashC, Mime: "image/png", CreatedAt: base},
		{ID: "u-new", Hash: hashA, Mime: "image/jpeg", CreatedAt: cut.Add(time.Second)},
	} {
		if err := s.PutUpload(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	mustUser(t, s, "ana")
	if err := s.CreateWorkshop(ctx, newWorkshop("w1", "ABCDEFG", "ana")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []store.Device{{ID: "d-old", WorkshopID: "w1", CreatedAt: base}, {ID: "d-new", WorkshopID: "w1", CreatedAt: cut.Add(time.Second)}} {
		if err := s.CreateDevice(ctx, d, 0); err != nil {
			t.Fatal(err)
		}
	}

	files, err := s.DeleteOlderThan(ctx, cut)
	if err != nil {
		t.Fatalf("DeleteOlderThan: %v", err)
	}
	want := []store.File{{Hash: hashC, Mime: "image/png"}, {Hash: hashA, Mime: "image/png"}} // sorted by hash
	slices.SortFunc(files, func(a, b store.File) int { return strings.Compare(a.Hash, b.Hash) })
	if !slices.Equal(files, want) {
		t.Errorf("orphaned files = %v, want %v", files, want)
	}
	gone(t, s, "old")
	if _, err := s.GetMedia(ctx, "m-old"); err == nil {
		t.Error("media row of the old run survived")
	}
	_, err = s.GetUpload(ctx, "u-old")
	wantErr(t, "old upload", err, store.ErrNotFound)
	_, err = s.GetDevice(ctx, "d-old")
	wantErr(t, "old device", err, store.ErrNotFound)
	for _, id := range []string{"oldrunning", "new"} {
		mustGet(t, s, id)
	}
	if _, err := s.GetUpload(ctx, "u-new"); err != nil {
		t.Errorf("new upload: %v", err)
	}
	if _, err := s.GetDevice(ctx, "d-new"); err != nil {
		t.Errorf("new device: %v", err)
	}
}

func testDeleteWorkshopData(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "ana")
	for _, w := range []store.Workshop{newWorkshop("w1", "ABCDEFG", "ana"), newWorkshop("w2", "HJKMNPQ", "ana")} {
		if err := s.CreateWorkshop(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []store.Device{{ID: "d1", WorkshopID: "w1"}, {ID: "d2", WorkshopID: "w2"}} {
		if err := s.CreateDevice(ctx, d, 0); err != nil {
			t.Fatal(err)
		}
	}
	mustCreate(t, s, runAt("r1", "d:d1", store.StateDone, base))
	mustCreate(t, s, runAt("r2", "d:d2", store.StateDone, base))
	mustCreate(t, s, runAt("r3", "c:d1", store.StateDone, base)) // not a device client
	mustMedia(t, s, "m1", "r1", hashA)
	mustMedia(t, s, "m2", "r2", hashB)

	files, err := s.DeleteWorkshopData(ctx, "w1")
	if err != nil {
		t.Fatalf("DeleteWorkshopData: %v", err)
	}
	if !slices.Equal(files, []store.File{{Hash: hashA, Mime: "image/png"}}) {
		t.Errorf("orphaned files = %v", files)
	}
	gone(t, s, "r1")
	_, err = s.GetDevice(ctx, "d1")
	wantErr(t, "device of the workshop", err, store.ErrNotFound)
	mustGet(t, s, "r2")
	mustGet(t, s, "r3")
	if _, err := s.GetWorkshop(ctx, "w1"); err != nil {
		t.Errorf("the workshop itself: %v", err)
	}
	_, err = s.DeleteWorkshopData(ctx, "w9")
	wantErr(t, "DeleteWorkshopData unknown", err, store.ErrNotFound)
}
