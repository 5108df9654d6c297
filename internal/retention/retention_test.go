package retention

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/media/mediatest"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/sqlite"
)

type env struct {
	db    *sqlite.DB
	files *media.Files
}

func newEnv(t *testing.T) env {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	files, err := media.NewFiles(filepath.Join(dir, "media"))
	if err != nil {
		t.Fatal(err)
	}
	return env{db, files}
}

// run stores a finished run of client at with one image file of content.
func (e env) run(t *testing.T, id, client string, at time.Time, content []byte) string {
	t.Helper()
	ctx := context.Background()
	r := &store.Run{ID: id, ClientID: client, Stages: "all", Lang: "de", State: store.StateDone, CreatedAt: at, UpdatedAt: at}
	if err := e.db.CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := e.db.AppendEvent(ctx, store.Event{RunID: id, Seq: 1, Type: "done", Data: []byte(`{}`), At: at}); err != nil {
		t.Fatal(err)
	}
	hash, err := e.files.Put(context.Background(), content, ".png")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.PutMedia(ctx, store.Media{ID: "m-" + id, RunID: id, Hash: hash, Mime: "image/png", CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	return hash
}

func (e env) onDisk(hash string) bool {
	f, err := e.files.Open(context.Background(), hash, ".png")
	if err == nil {
		f.Close()
		return true
	}
	return !errors.Is(err, fs.ErrNotExist)
}

// TestSweepDeletesFromDatabaseAndDisk: deleted means gone from both.
func TestSweepDeletesFromDatabaseAndDisk(t *testing.T) {
	e := newEnv(t)
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	oldImg, newImg := mediatest.ZeroPNG(4, 4), mediatest.ZeroPNG(5, 5)
	if bytes.Equal(oldImg, newImg) {
		t.Fatal("test images are equal")
	}
	oldHash := e.run(t, "old", "c:x", now.Add(-31*24*time.Hour), oldImg)
	newHash := e.run(t, "new", "c:x", now.Add(-time.Hour), newImg)
	sharedOld := e.run(t, "old2", "c:y", now.Add(-40*24*time.Hour), newImg) // same file as the new run
	if sharedOld != newHash {
		t.Fatal("content addressing changed")
	}
	if err := e.db.CreateUser(context.Background(), store.User{Name: "ana", Role: store.RoleTeacher, PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.CreateSession(context.Background(), store.Session{ID: "s1", User: "ana", ExpiresAt: now.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	s := &Sweeper{Store: e.db, Files: e.files, MaxAge: 30 * 24 * time.Hour, Now: func() time.Time { return now }}
	n, err := s.Sweep(context.Background())
	if _, err := e.db.GetSession(context.Background(), "s1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session: %v", err)
	}
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1 file", n, err)
	}
	for _, id := range []string{"old", "old2"} {
		if _, err := e.db.GetRun(context.Background(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("run %s: %v", id, err)
		}
		if evs, _ := e.db.Events(context.Background(), id, 0); len(evs) != 0 {
			t.Errorf("events of %s survived", id)
		}
		if _, err := e.db.GetMedia(context.Background(), "m-"+id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("media row of %s: %v", id, err)
		}
	}
	if e.onDisk(oldHash) {
		t.Error("the old file is still on disk")
	}
	if !e.onDisk(newHash) {
		t.Error("the file the new run still names was removed")
	}
	if _, err := e.db.GetRun(context.Background(), "new"); err != nil {
		t.Errorf("new run: %v", err)
	}
}

func TestDeleteWorkshopData(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.db.CreateUser(ctx, store.User{Name: "ana", Role: store.RoleTeacher, PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := e.db.CreateWorkshop(ctx, store.Workshop{ID: "w1", Code: "ABCDEFG", Owner: "ana", Name: "7b", SafetyLevel: "kids",
		StartsAt: now, EndsAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.CreateDevice(ctx, store.Device{ID: "d1", WorkshopID: "w1"}, 0); err != nil {
		t.Fatal(err)
	}
	hash := e.run(t, "r1", "d:d1", now, mediatest.ZeroPNG(3, 3))
	keep := e.run(t, "r2", "c:other", now, mediatest.ZeroPNG(6, 6))
	if err := DeleteWorkshopData(ctx, e.db, e.files, "w1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.GetRun(ctx, "r1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("workshop run: %v", err)
	}
	if _, err := e.db.GetDevice(ctx, "d1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("device: %v", err)
	}
	if e.onDisk(hash) {
		t.Error("the workshop's image is still on disk")
	}
	if !e.onDisk(keep) {
		t.Error("another client's image was removed")
	}
}

func TestRunStopsWithContext(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s := &Sweeper{Store: e.db, Files: e.files, MaxAge: time.Hour, Every: time.Millisecond, Log: nil}
	s.Log = discard()
	go func() { s.Run(ctx); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
