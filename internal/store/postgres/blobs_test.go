package postgres

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/media/blobtest"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/postgres/pgtest"
)

func TestBlobsConformance(t *testing.T) {
	pgtest.ServerURL(t)
	blobtest.Run(t, func(t *testing.T) media.Blobs { return openTemp(t).Blobs() })
}

// putBlob stores data and returns its hash.
func putBlob(t *testing.T, b *Blobs, data string) string {
	t.Helper()
	h, err := b.Put(context.Background(), []byte(data), ".png")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// present reports whether the blob of hash can be opened and read.
func present(t *testing.T, b *Blobs, hash string) bool {
	t.Helper()
	r, err := b.Open(context.Background(), hash, ".png")
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadAll(r); err != nil {
		t.Fatal(err)
	}
	return true
}

// TestRetentionDeletesBlobs checks that the retention sweep and a
// workshop's deletion delete the bytes of what they orphan in the same
// transaction as the rows, and keep bytes a remaining row names.
func TestRetentionDeletesBlobs(t *testing.T) {
	db := openTemp(t)
	b := db.Blobs()
	ctx := context.Background()
	old := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cut := old.Add(24 * time.Hour)
	hOld, hShared, hUpload, hKeep := putBlob(t, b, "old image"), putBlob(t, b, "shared image"), putBlob(t, b, "old upload"), putBlob(t, b, "new upload")
	run := func(id, client string, at time.Time) {
		t.Helper()
		r := &store.Run{ID: id, ClientID: client, Stages: "all", Lang: "de", Input: []byte(`{}`), State: store.StateDone, CreatedAt: at, UpdatedAt: at}
		if err := db.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	mediaRow := func(id, runID, hash string) {
		t.Helper()
		if err := db.PutMedia(ctx, store.Media{ID: id, RunID: runID, Hash: hash, Mime: "image/png"}); err != nil {
			t.Fatal(err)
		}
	}
	run("old", "c:a", old)
	run("new", "c:a", cut.Add(time.Hour))
	mediaRow("m-old", "old", hOld)
	mediaRow("m-shared-old", "old", hShared)
	mediaRow("m-shared-new", "new", hShared)
	for _, u := range []store.Upload{{ID: "u-old", Hash: hUpload, Mime: "image/png", CreatedAt: old}, {ID: "u-new", Hash: hKeep, Mime: "image/png", CreatedAt: cut.Add(time.Hour)}} {
		if err := db.PutUpload(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.DeleteOlderThan(ctx, cut); err != nil {
		t.Fatal(err)
	}
	for hash, want := range map[string]bool{hOld: false, hUpload: false, hShared: true, hKeep: true} {
		if got := present(t, b, hash); got != want {
			t.Errorf("after the sweep, blob %.8s present = %v, want %v", hash, got, want)
		}
	}

	// A workshop's deletion: the image of its device's run goes at once.
	if err := db.CreateUser(ctx, store.User{Name: "ana", Role: store.RoleTeacher, PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	w := store.Workshop{ID: "w1", Code: "ABCDEFG", Owner: "ana", Name: "7b", SafetyLevel: "kids", StartsAt: old, EndsAt: cut, CreatedAt: old}
	if err := db.CreateWorkshop(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateDevice(ctx, store.Device{ID: "d1", WorkshopID: "w1"}, 0); err != nil {
		t.Fatal(err)
	}
	hWs := putBlob(t, b, "workshop image")
	run("ws", "d:d1", cut.Add(time.Hour))
	mediaRow("m-ws", "ws", hWs)
	if _, err := db.DeleteWorkshopData(ctx, "w1"); err != nil {
		t.Fatal(err)
	}
	if present(t, b, hWs) {
		t.Error("the workshop's image survived its deletion")
	}

	// Remove keeps bytes a row names (an upload of the same image since
	// the caller looked).
	if err := b.Remove(ctx, hKeep, ".png"); err != nil {
		t.Fatal(err)
	}
	if !present(t, b, hKeep) {
		t.Error("Remove deleted the bytes of a stored upload")
	}
}

// TestBlobReadStreams checks that a read fetches at most a chunk: a reader
// of a large blob that stops early has read little.
func TestBlobReadStreams(t *testing.T) {
	b := openTemp(t).Blobs()
	data := bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7}, 1<<20) // 7 MiB
	hash, err := b.Put(context.Background(), data, ".png")
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Open(context.Background(), hash, ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, 100)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatal(err)
	}
	if got := len(r.(*blobReader).buf); got > blobChunk {
		t.Errorf("reading 100 bytes fetched %d bytes, want at most %d", got, blobChunk)
	}
	if !bytes.Equal(buf, data[:100]) {
		t.Error("first bytes differ")
	}
}

// BenchmarkBlobRead reads a 2 MiB image from media_blobs whole, as GET
// /api/media does; compare BenchmarkFilesRead in internal/media.
func BenchmarkBlobRead(b *testing.B) {
	blobs := openTemp(b).Blobs()
	data := bytes.Repeat([]byte("0123456789abcdef"), 2<<20/16)
	hash, err := blobs.Put(context.Background(), data, ".png")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, err := blobs.Open(context.Background(), hash, ".png")
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(data)) {
			b.Fatal(n, err)
		}
		r.Close()
	}
}
