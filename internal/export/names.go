package export

import (
	"fmt"
	"strings"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// FileName is the archive's name for a download of workshop ws at t:
// "ai4artsed-<workshop id>-<UTC date and time>.zip".
func FileName(ws store.Workshop, t time.Time) string {
	return "ai4artsed-" + safe(ws.ID) + "-" + t.UTC().Format("20060102-1504") + ".zip"
}

// mediaName is the archive path of image i (from 0) of run runID:
// media/<run id>-<i+1><extension of the stored MIME type>.
func mediaName(runID string, i int, mime string) string {
	return fmt.Sprintf("media/%s-%d%s", safe(runID), i+1, extFor(mime))
}

// extFor is the extension of a stored MIME type; ".bin" for any other.
func extFor(mime string) string {
	if ext := media.ExtFor(mime); ext != "" {
		return ext
	}
	return ".bin"
}

// safe keeps the letters, digits, '-' and '_' of an id (at most 64), so
// even an id from elsewhere makes no path: the server's ids are hex.
func safe(id string) string {
	var b strings.Builder
	for _, c := range id {
		if b.Len() == 64 {
			break
		}
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
