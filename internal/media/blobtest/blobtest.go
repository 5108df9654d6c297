// Package blobtest is the conformance suite every media.Blobs
// implementation must pass: the directory (media.Files) and the PostgreSQL
// table (internal/store/postgres). An adapter's test calls Run with a
// constructor that returns a fresh, empty store for each subtest.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"sync"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/media"
)

// NewBlobs returns a fresh, empty store; it registers its own cleanup.
type NewBlobs func(t *testing.T) media.Blobs

// Run runs every conformance test against stores made by newBlobs.
func Run(t *testing.T, newBlobs NewBlobs) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, b media.Blobs)
	}{
		{"PutOpenRemove", testPutOpenRemove},
		{"Seek", testSeek},
		{"Large", testLarge},
		{"Empty", testEmpty},
		{"BadNames", testBadNames},
		{"ConcurrentPutSameContent", testConcurrentPut},
		{"CancelledContext", testCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newBlobs(t)) })
	}
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// readAll opens hash and reads it whole.
func readAll(t *testing.T, b media.Blobs, hash, ext string) []byte {
	t.Helper()
	r, err := b.Open(context.Background(), hash, ext)
	if err != nil {
		t.Fatalf("Open(%s): %v", hash, err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", hash, err)
	}
	return got
}

// noise returns n bytes that do not compress, like an image's.
func noise(n int, seed uint64) []byte {
	r := mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(r.Uint32())
	}
	return out
}

func testPutOpenRemove(t *testing.T, b media.Blobs) {
	ctx := context.Background()
	data := []byte("not really a png: a blob store does not look inside")
	hash, err := b.Put(ctx, data, ".png")
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if want := digest(data); hash != want {
		t.Fatalf("Put = %s, want the SHA-256 %s", hash, want)
	}
	if got := readAll(t, b, hash, ".png"); !bytes.Equal(got, data) {
		t.Fatalf("read back %q, want %q", got, data)
	}
	// The same content again: the same name, the content unchanged.
	again, err := b.Put(ctx, bytes.Clone(data), ".png")
	if err != nil || again != hash {
		t.Fatalf("second Put = %s, %v; want %s", again, err, hash)
	}
	other := []byte("another image")
	otherHash, err := b.Put(ctx, other, ".png")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Remove(ctx, hash, ".png"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if r, err := b.Open(ctx, hash, ".png"); !errors.Is(err, fs.ErrNotExist) {
		if r != nil {
			r.Close()
		}
		t.Fatalf("Open after Remove = %v, want fs.ErrNotExist", err)
	}
	if err := b.Remove(ctx, hash, ".png"); err != nil {
		t.Errorf("second Remove = %v, want nil", err)
	}
	if got := readAll(t, b, otherHash, ".png"); !bytes.Equal(got, other) {
		t.Errorf("Remove of one item changed another: %q", got)
	}
	// Stored again after removal: present again.
	if _, err := b.Put(ctx, data, ".png"); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, b, hash, ".png"); !bytes.Equal(got, data) {
		t.Errorf("after a new Put: %q", got)
	}
}

func testSeek(t *testing.T, b media.Blobs) {
	ctx := context.Background()
	data := noise(700_000, 1)
	hash, err := b.Put(ctx, data, ".webp")
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Open(ctx, hash, ".webp")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil || size != int64(len(data)) {
		t.Fatalf("Seek(0, End) = %d, %v; want %d", size, err, len(data))
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("Read at the end = %d, %v; want 0, EOF", n, err)
	}
	// Ranges across any internal chunking, as http.ServeContent asks.
	for _, rg := range []struct{ off, n int64 }{{0, 1}, {262_143, 2}, {300_000, 300_001}, {699_990, 10}, {123, 0}} {
		pos, err := r.Seek(rg.off, io.SeekStart)
		if err != nil || pos != rg.off {
			t.Fatalf("Seek(%d) = %d, %v", rg.off, pos, err)
		}
		buf := make([]byte, rg.n)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatalf("read %d bytes at %d: %v", rg.n, rg.off, err)
		}
		if !bytes.Equal(buf, data[rg.off:rg.off+rg.n]) {
			t.Errorf("bytes %d..%d differ", rg.off, rg.off+rg.n)
		}
	}
	if pos, err := r.Seek(-10, io.SeekCurrent); err != nil || pos != 123-10 {
		t.Errorf("Seek(-10, Current) = %d, %v; want 113", pos, err)
	}
	if _, err := r.Seek(-1, io.SeekStart); err == nil {
		t.Error("Seek to a negative offset succeeded")
	}
}

func testLarge(t *testing.T, b media.Blobs) {
	ctx := context.Background()
	data := noise(5<<20+17, 2)
	hash, err := b.Put(ctx, data, ".png")
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, b, hash, ".png"); !bytes.Equal(got, data) {
		t.Fatalf("a %d-byte item came back as %d bytes that differ", len(data), len(got))
	}
}

func testEmpty(t *testing.T, b media.Blobs) {
	hash, err := b.Put(context.Background(), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, b, hash, ""); len(got) != 0 {
		t.Errorf("empty item read back as %d bytes", len(got))
	}
}

func testBadNames(t *testing.T, b media.Blobs) {
	ctx := context.Background()
	good := digest([]byte("x"))
	for _, tc := range []struct{ name, hash, ext string }{
		{"short hash", "abc", ".png"},
		{"upper case", "A" + good[1:], ".png"},
		{"path in hash", "../" + good[3:], ".png"},
		{"ext without dot", good, "png"},
		{"path in ext", good, "./../x"},
		{"long ext", good, ".abcdefghi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r, err := b.Open(ctx, tc.hash, tc.ext); !errors.Is(err, media.ErrBadName) {
				if r != nil {
					r.Close()
				}
				t.Errorf("Open = %v, want ErrBadName", err)
			}
			if err := b.Remove(ctx, tc.hash, tc.ext); !errors.Is(err, media.ErrBadName) {
				t.Errorf("Remove = %v, want ErrBadName", err)
			}
		})
	}
	if _, err := b.Put(ctx, []byte("x"), "../evil"); !errors.Is(err, media.ErrBadName) {
		t.Errorf("Put with a bad ext = %v, want ErrBadName", err)
	}
}

func testConcurrentPut(t *testing.T, b media.Blobs) {
	ctx := context.Background()
	data := noise(300_000, 3)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			if _, err := b.Put(ctx, bytes.Clone(data), ".png"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Put: %v", err)
	}
	if got := readAll(t, b, digest(data), ".png"); !bytes.Equal(got, data) {
		t.Error("content after concurrent Puts differs")
	}
}

func testCancelled(t *testing.T, b media.Blobs) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data := []byte("never stored")
	if _, err := b.Put(ctx, data, ".png"); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context = %v, want context.Canceled", err)
	}
	if r, err := b.Open(context.Background(), digest(data), ".png"); !errors.Is(err, fs.ErrNotExist) {
		if r != nil {
			r.Close()
		}
		t.Errorf("after a cancelled Put, Open = %v, want fs.ErrNotExist", err)
	}
}
