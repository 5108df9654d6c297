package media_test

import (
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
