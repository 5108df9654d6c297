package storetest

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

const (
	hashA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	hashB = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
)

func checkMedia(t *testing.T, got, want store.Media) {
	t.Helper()
	if got.ID != want.ID || got.RunID != want.RunID || got.Hash != want.Hash || got.Mime != want.Mime ||
		got.Size != want.Size || got.Width != want.Width || got.Height != want.Height || got.Seed != want.Seed {
		t.Errorf("media = %+v, want %+v", got, want)
	}
	if !jsonEqual(t, got.Meta, want.Meta) {
		t.Errorf("media Meta = %s, want %s", got.Meta, want.Meta)
	}
	checkTime(t, "media CreatedAt", got.CreatedAt, want.CreatedAt)
}

func testMedia(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, newRun("r1", store.StateRunning))
	items := []store.Media{
		{ID: "m2", RunID: "r1", Hash: hashB, Mime: "image/jpeg", Size: 1, Width: 1, Height: 1, Seed: 0, CreatedAt: base.Add(2 * time.Second)},
		{ID: "m1", RunID: "r1", Hash: hashA, Mime: "image/png", Size: 123456, Width: 1024, Height: 768,
			Seed: math.MaxUint64, Meta: []byte(`{"loras":[{"name":"x.safetensors","strength":0.8}],"backend":"swarmui"}`),
			CreatedAt: base.Add(time.Second)},
	}
	for _, m := range items {
		if err := s.PutMedia(ctx, m); err != nil {
			t.Fatalf("PutMedia(%s): %v", m.ID, err)
		}
	}
	for _, want := range items {
		got, err := s.GetMedia(ctx, want.ID)
		if err != nil {
			t.Fatalf("GetMedia(%s): %v", want.ID, err)
		}
		checkMedia(t, *got, want)
	}
	run := mustGet(t, s, "r1")
	if len(run.Media) != 2 {
		t.Fatalf("run has %d media, want 2", len(run.Media))
	}
	// Oldest first.
	checkMedia(t, run.Media[0], items[1])
	checkMedia(t, run.Media[1], items[0])

	dup := items[0]
	dup.Mime = "image/webp"
	wantErr(t, "PutMedia duplicate", s.PutMedia(ctx, dup), store.ErrConflict)
	wantErr(t, "PutMedia empty id", s.PutMedia(ctx, store.Media{RunID: "r1", Hash: hashA}), store.ErrInvalid)
}

func testUploads(t *testing.T, s store.Store) {
	ctx := context.Background()
	want := store.Upload{ID: "u1", Hash: hashA, Mime: "image/webp", Size: 2048, Width: 640, Height: 480, CreatedAt: base}
	if err := s.PutUpload(ctx, want); err != nil {
		t.Fatalf("PutUpload: %v", err)
	}
	got, err := s.GetUpload(ctx, "u1")
	if err != nil {
		t.Fatalf("GetUpload: %v", err)
	}
	if got.ID != want.ID || got.Hash != want.Hash || got.Mime != want.Mime || got.Size != want.Size ||
		got.Width != want.Width || got.Height != want.Height {
		t.Errorf("upload = %+v, want %+v", got, want)
	}
	checkTime(t, "upload CreatedAt", got.CreatedAt, want.CreatedAt)

	dup := want
	dup.Hash = hashB
	wantErr(t, "PutUpload duplicate", s.PutUpload(ctx, dup), store.ErrConflict)
	if got, _ := s.GetUpload(ctx, "u1"); got == nil || got.Hash != hashA {
		t.Errorf("duplicate changed the upload: %+v", got)
	}

	before := time.Now()
	if err := s.PutUpload(ctx, store.Upload{ID: "u2", Hash: hashB, Mime: "image/png"}); err != nil {
		t.Fatalf("PutUpload(u2): %v", err)
	}
	got2, err := s.GetUpload(ctx, "u2")
	if err != nil {
		t.Fatalf("GetUpload(u2): %v", err)
	}
	if got2.CreatedAt.Before(before.Add(-time.Millisecond)) || got2.CreatedAt.After(time.Now()) {
		t.Errorf("default CreatedAt = %v, want about %v", got2.CreatedAt, before)
	}
	wantErr(t, "PutUpload empty id", s.PutUpload(ctx, store.Upload{Hash: hashA}), store.ErrInvalid)
}
