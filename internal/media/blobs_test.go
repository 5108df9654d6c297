package media_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/media/blobtest"
)

func TestFilesConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) media.Blobs {
		f, err := media.NewFiles(filepath.Join(t.TempDir(), "media"))
		if err != nil {
			t.Fatal(err)
		}
		return f
	})
}

// BenchmarkFilesRead reads a 2 MiB image from the media directory whole,
// as GET /api/media does.
func BenchmarkFilesRead(b *testing.B) {
	f, err := media.NewFiles(filepath.Join(b.TempDir(), "media"))
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 2<<20/16)
	hash, err := f.Put(context.Background(), data, ".png")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, err := f.Open(context.Background(), hash, ".png")
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(data)) {
			b.Fatal(n, err)
		}
		r.Close()
	}
}
