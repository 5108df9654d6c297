package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func newFiles(t *testing.T) *Files {
	t.Helper()
	f, err := NewFiles(filepath.Join(t.TempDir(), "media", "nested"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// listFiles returns every file under dir, relative to it.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFilesPutOpenRemove(t *testing.T) {
	f := newFiles(t)
	data := []byte("not really a png, Files does not care")
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])

	hash, err := f.Put(t.Context(), data, ".png")
	if err != nil {
		t.Fatal(err)
	}
	if hash != want {
		t.Fatalf("hash = %s, want %s", hash, want)
	}
	if got := listFiles(t, f.Dir); len(got) != 1 || got[0] != want[:2]+"/"+want[2:]+".png" {
		t.Fatalf("files = %v, want [%s/%s.png]", got, want[:2], want[2:])
	}
	p, _ := f.Path(hash, ".png")
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", fi.Mode().Perm())
	}

	// Same content again: same hash, same file, untouched.
	again, err := f.Put(t.Context(), bytes.Clone(data), ".png")
	if err != nil || again != hash {
		t.Fatalf("second Put = %s, %v", again, err)
	}
	fi2, err := os.Stat(p)
	if err != nil || !os.SameFile(fi, fi2) {
		t.Errorf("second Put replaced the file (err %v)", err)
	}
	if got := listFiles(t, f.Dir); len(got) != 1 {
		t.Errorf("files after second Put = %v", got)
	}

	r, err := f.Open(t.Context(), hash, ".png")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("Open content = %q, %v", got, err)
	}

	if _, err := f.Open(t.Context(), hash, ".jpg"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open with other ext = %v, want fs.ErrNotExist", err)
	}
	if err := f.Remove(t.Context(), hash, ".png"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Open(t.Context(), hash, ".png"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open after Remove = %v, want fs.ErrNotExist", err)
	}
	if err := f.Remove(t.Context(), hash, ".png"); err != nil {
		t.Errorf("second Remove = %v, want nil", err)
	}
}

func TestFilesConcurrentPutSameContent(t *testing.T) {
	f := newFiles(t)
	data := bytes.Repeat([]byte("pixel"), 50000)
	const writers = 8
	hashes := make(chan string, writers)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			h, err := f.Put(t.Context(), data, ".webp")
			if err != nil {
				t.Error(err)
			}
			hashes <- h
		})
	}
	wg.Wait()
	close(hashes)
	first := <-hashes
	for h := range hashes {
		if h != first {
			t.Errorf("hashes differ: %s vs %s", h, first)
		}
	}
	files := listFiles(t, f.Dir)
	if len(files) != 1 || strings.Contains(files[0], ".tmp") {
		t.Fatalf("files = %v, want the one stored file and no temp files", files)
	}
	got, err := os.ReadFile(filepath.Join(f.Dir, files[0]))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("stored content differs (err %v)", err)
	}
}

func TestFilesPutFailureLeavesNoTempFile(t *testing.T) {
	f := newFiles(t)
	data := []byte("blocked by a directory")
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	p, _ := f.Path(hash, ".png")
	// A non-empty directory under the final name makes the rename fail.
	if err := os.MkdirAll(filepath.Join(p, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Put(t.Context(), data, ".png"); err == nil {
		t.Fatal("Put over a directory succeeded")
	}
	entries, err := os.ReadDir(filepath.Dir(p))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp") {
			t.Errorf("temp file %s left behind", e.Name())
		}
	}
}

func TestFilesPathValidation(t *testing.T) {
	f := newFiles(t)
	good := strings.Repeat("ab", 32)
	tests := []struct {
		name, hash, ext string
		ok              bool
	}{
		{"valid", good, ".png", true},
		{"valid no ext", good, "", true},
		{"dotdot", "../x", ".png", false},
		{"dotdot padded", "../" + good[3:], ".png", false},
		{"slash inside", good[:10] + "/" + good[11:], ".png", false},
		{"empty", "", ".png", false},
		{"short", good[:63], ".png", false},
		{"long", good + "a", ".png", false},
		{"uppercase", strings.ToUpper(good), ".png", false},
		{"non hex", "g" + good[1:], ".png", false},
		{"ext without dot", good, "png", false},
		{"ext traversal", good, "/../../x", false},
		{"ext uppercase", good, ".PNG", false},
		{"ext too long", good, ".abcdefghi", false},
		{"ext only dot", good, ".", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.Path(tt.hash, tt.ext)
			if tt.ok {
				if err != nil {
					t.Fatalf("Path: %v", err)
				}
				if want := filepath.Join(f.Dir, "ab", good[2:]+tt.ext); p != want {
					t.Errorf("Path = %s, want %s", p, want)
				}
				return
			}
			if !errors.Is(err, ErrBadName) {
				t.Errorf("Path(%q, %q) = %q, %v; want ErrBadName", tt.hash, tt.ext, p, err)
			}
			if _, err := f.Open(t.Context(), tt.hash, tt.ext); !errors.Is(err, ErrBadName) {
				t.Errorf("Open = %v, want ErrBadName", err)
			}
			if err := f.Remove(t.Context(), tt.hash, tt.ext); !errors.Is(err, ErrBadName) {
				t.Errorf("Remove = %v, want ErrBadName", err)
			}
		})
	}
	if _, err := f.Put(t.Context(), []byte("x"), "../evil"); !errors.Is(err, ErrBadName) {
		t.Errorf("Put with bad ext = %v, want ErrBadName", err)
	}
}
