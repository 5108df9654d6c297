package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/postgres/pgtest"
	"github.com/ai4artsed/ai4artsed/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	pgtest.ServerURL(t) // skip (or fail in CI) once, not per subtest
	storetest.Run(t, func(t *testing.T) store.Store {
		return openTemp(t)
	})
}

// TestJSONRoundTripsByteIdentical checks that JSON payloads come back with
// the exact bytes written: key order, whitespace and number spelling kept.
// SSE replay compares event data byte for byte.
func TestJSONRoundTripsByteIdentical(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	payloads := []string{
		`{"z":1,"a":2,"m":{"y":true,"b":null}}`,
		`{ "stage" : 2,	"text" : "ein  Haus\nam See" }`,
		"{\n  \"ms\": 1.50e3,\n  \"a\": [1, 2 ,3]\n}",
		`{"dup":1,"dup":2}`,
		`{"umlaut":"Stück","escaped":"St\u00fcck \ud83c\udfa8"}`,
		`"just a string"`,
		`[]`,
	}
	for i, p := range payloads {
		raw := json.RawMessage(p)
		id := "r" + string(rune('a'+i))
		if err := db.CreateRun(ctx, &store.Run{ID: id, Input: raw}); err != nil {
			t.Fatalf("CreateRun(%s): %v", p, err)
		}
		if err := db.AppendEvent(ctx, store.Event{RunID: id, Seq: 1, Type: "chunk", Data: raw}); err != nil {
			t.Fatalf("AppendEvent(%s): %v", p, err)
		}
		if err := db.PutStage(ctx, id, store.StageResult{Stage: 2, Detail: raw}); err != nil {
			t.Fatalf("PutStage(%s): %v", p, err)
		}
		if err := db.PutMedia(ctx, store.Media{ID: "m-" + id, RunID: id, Hash: "h", Mime: "image/png", Meta: raw}); err != nil {
			t.Fatalf("PutMedia(%s): %v", p, err)
		}

		evs, err := db.Events(ctx, id, 0)
		if err != nil || len(evs) != 1 {
			t.Fatalf("Events(%s) = %v, %v", id, evs, err)
		}
		r, err := db.GetRun(ctx, id)
		if err != nil || len(r.Stage) != 1 || len(r.Media) != 1 {
			t.Fatalf("GetRun(%s) = %+v, %v", id, r, err)
		}
		got := map[string]json.RawMessage{
			"event data": evs[0].Data, "run input": r.Input, "stage detail": r.Stage[0].Detail, "media meta": r.Media[0].Meta,
		}
		for what, b := range got {
			if !bytes.Equal(b, raw) {
				t.Errorf("%s = %q, want %q", what, b, raw)
			}
		}
	}
}

// TestInvalidTextIsErrInvalid checks that text PostgreSQL refuses (a NUL
// byte) maps to store.ErrInvalid rather than an opaque error.
func TestInvalidTextIsErrInvalid(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	err := db.CreateRun(ctx, &store.Run{ID: "r1", ClientID: "a\x00b"})
	if !errors.Is(err, store.ErrInvalid) {
		t.Errorf("CreateRun with NUL byte = %v, want ErrInvalid", err)
	}
	if _, err := db.GetRun(ctx, "r1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRun after refused create = %v, want ErrNotFound", err)
	}
}

// TestTimesAreUTCMicroseconds checks that a time with nanoseconds and a
// zone comes back as the same microsecond in UTC, and that a default
// CreatedAt set in place equals the stored one exactly.
func TestTimesAreUTCMicroseconds(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	berlin := time.FixedZone("CET", 3600)
	in := time.Date(2025, 12, 31, 23, 59, 59, 123_456_789, berlin)
	if err := db.CreateRun(ctx, &store.Run{ID: "zoned", CreatedAt: in}); err != nil {
		t.Fatal(err)
	}
	r, err := db.GetRun(ctx, "zoned")
	if err != nil {
		t.Fatal(err)
	}
	if want := in.Truncate(time.Microsecond); !r.CreatedAt.Equal(want) || r.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v in UTC", r.CreatedAt, want)
	}

	def := &store.Run{ID: "default"}
	if err := db.CreateRun(ctx, def); err != nil {
		t.Fatal(err)
	}
	r, err = db.GetRun(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if !r.CreatedAt.Equal(def.CreatedAt) {
		t.Errorf("stored default CreatedAt = %v, in place %v", r.CreatedAt, def.CreatedAt)
	}
}

// TestCallsAfterCloseFail checks that calls on a closed store fail cleanly.
func TestCallsAfterCloseFail(t *testing.T) {
	base, schema := newSchema(t)
	ctx := context.Background()
	db, err := Open(ctx, pgtest.WithSearchPath(t, base, schema))
	if err != nil {
		t.Fatal(err)
	}
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
		"GetUpload":   func() error { _, err := db.GetUpload(ctx, "u1"); return err },
	}
	for name, call := range calls {
		if err := call(); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s after Close = %v, want a closed-pool error", name, err)
		}
	}
}

func TestInterruptAfterRestart(t *testing.T) {
	base, schema := newSchema(t)
	dbURL := pgtest.WithSearchPath(t, base, schema)
	storetest.Restart(t, func(t *testing.T) store.Store {
		db, err := Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}
