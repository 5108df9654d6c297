// Package export writes a workshop's research record as a zip archive
// (docs/api.md, "Research export"; docs/privacy.md): runs.jsonl with one
// JSON object per run and every revision of its texts, its verdicts,
// models, seeds, LoRAs and media; summary.csv with one row per run; the
// images under media/; and export.json describing the archive.
//
// The archive is streamed: runs are read a page at a time and each image
// is copied from its file into the archive, so memory does not grow with
// the workshop. Every name inside the archive is made here from server
// ids and stored MIME types, never from what a client sent.
package export

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// Source is what an export reads; store.Store implements it.
type Source interface {
	WorkshopDevices(ctx context.Context, id string) ([]store.Device, error)
	WorkshopRuns(ctx context.Context, id string, after store.RunCursor, limit int) ([]store.Run, error)
	GetRun(ctx context.Context, id string) (*store.Run, error)
}

// Files opens stored media by content hash and extension; media.Blobs
// (a directory or PostgreSQL) implements it.
type Files interface {
	Open(ctx context.Context, hash, ext string) (media.Blob, error)
}

// DefaultPageSize is how many runs an export reads at once.
const DefaultPageSize = 50

// Exporter writes workshop archives.
type Exporter struct {
	src   Source
	files Files
	// PageSize is how many runs are read at once; 0: DefaultPageSize.
	PageSize int
	// Now stamps the archive; nil: time.Now.
	Now func() time.Time
}

// New returns an Exporter reading runs from src and images from files.
func New(src Source, files Files) *Exporter { return &Exporter{src: src, files: files} }

// Counts say what an archive holds.
type Counts struct {
	Runs    int `json:"runs"`
	Devices int `json:"devices"`
	Media   int `json:"media"`
	// MissingMedia are images whose file was gone (deleted by the retention
	// sweep while the export ran); their rows are in runs.jsonl.
	MissingMedia int `json:"missing_media"`
}

// Write writes the archive of workshop ws to w. It reads the runs three
// times (runs.jsonl, summary.csv, media), each pass ending where the first
// ended, so runs started during the export are left out of all three. An
// error after the first byte leaves a truncated archive; the caller can
// only drop the connection.
func (e *Exporter) Write(ctx context.Context, w io.Writer, ws store.Workshop) (Counts, error) {
	var c Counts
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	devs, err := e.src.WorkshopDevices(ctx, ws.ID)
	if err != nil {
		return c, fmt.Errorf("export: devices of workshop %s: %w", ws.ID, err)
	}
	c.Devices = len(devs)
	nick := make(map[string]string, len(devs))
	for _, d := range devs {
		nick[store.ClientOfDevice(d.ID)] = d.Nickname
	}
	stamp := now().UTC()
	zw := zip.NewWriter(w)

	// Pass 1: runs.jsonl, and where the export ends.
	f, err := zw.CreateHeader(&zip.FileHeader{Name: "runs.jsonl", Method: zip.Deflate, Modified: stamp})
	if err != nil {
		return c, fmt.Errorf("export: %w", err)
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	var end store.RunCursor
	err = e.each(ctx, ws.ID, nil, func(r *store.Run) error {
		c.Runs++
		end = store.CursorAfter(*r)
		rec, err := e.record(ctx, r, nick)
		if err != nil {
			return err
		}
		return enc.Encode(rec)
	})
	if err != nil {
		return c, err
	}

	// Pass 2: summary.csv.
	f, err = zw.CreateHeader(&zip.FileHeader{Name: "summary.csv", Method: zip.Deflate, Modified: stamp})
	if err != nil {
		return c, fmt.Errorf("export: %w", err)
	}
	sw := newSummary(f)
	if c.Runs > 0 {
		err = e.each(ctx, ws.ID, &end, func(r *store.Run) error {
			rec, err := e.record(ctx, r, nick)
			if err != nil {
				return err
			}
			return sw.row(rec)
		})
	}
	if err = errors.Join(err, sw.flush()); err != nil {
		return c, fmt.Errorf("export: summary: %w", err)
	}

	// Pass 3: the images, stored as they are (PNG, JPEG and WebP are
	// compressed already).
	buf := make([]byte, 64<<10)
	if c.Runs > 0 {
		err = e.each(ctx, ws.ID, &end, func(r *store.Run) error {
			for i, m := range r.Media {
				ok, err := e.copyMedia(ctx, zw, r, i, m, buf)
				if err != nil {
					return err
				}
				if ok {
					c.Media++
				} else {
					c.MissingMedia++
				}
			}
			return nil
		})
		if err != nil {
			return c, err
		}
	}

	f, err = zw.CreateHeader(&zip.FileHeader{Name: "export.json", Method: zip.Deflate, Modified: stamp})
	if err == nil {
		err = json.NewEncoder(f).Encode(manifest(ws, stamp, c))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return c, fmt.Errorf("export: %w", err)
	}
	return c, nil
}

// record is run r's record, linked to the interception run its text came
// from when that run is the same device's and still stored.
func (e *Exporter) record(ctx context.Context, r *store.Run, nick map[string]string) (*Record, error) {
	rec := newRecord(r, nick)
	if rec.SourceRun == "" {
		return rec, nil
	}
	src, err := e.src.GetRun(ctx, rec.SourceRun)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return rec, nil
	case err != nil:
		return nil, fmt.Errorf("source run %s: %w", rec.SourceRun, err)
	case src.ClientID != r.ClientID:
		return rec, nil // another student's run is not this one's history
	}
	rec.link(src)
	return rec, nil
}

// each calls fn for every run of workshop id in order, a page at a time,
// up to and including the run at end (nil: to the last).
func (e *Exporter) each(ctx context.Context, id string, end *store.RunCursor, fn func(r *store.Run) error) error {
	size := e.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	var after store.RunCursor
	for {
		runs, err := e.src.WorkshopRuns(ctx, id, after, size)
		if err != nil {
			return fmt.Errorf("export: runs of workshop %s: %w", id, err)
		}
		for i := range runs {
			if end != nil && beyond(runs[i], *end) {
				return nil
			}
			if err := fn(&runs[i]); err != nil {
				return fmt.Errorf("export: run %s: %w", runs[i].ID, err)
			}
		}
		if len(runs) < size {
			return nil
		}
		after = store.CursorAfter(runs[len(runs)-1])
	}
}

// beyond reports whether r comes after the cursor end.
func beyond(r store.Run, end store.RunCursor) bool {
	if !r.CreatedAt.Equal(end.CreatedAt) {
		return r.CreatedAt.After(end.CreatedAt)
	}
	return r.ID > end.ID
}

// copyMedia copies image i of run r into the archive; false when its file
// is gone.
func (e *Exporter) copyMedia(ctx context.Context, zw *zip.Writer, r *store.Run, i int, m store.Media, buf []byte) (bool, error) {
	src, err := e.files.Open(ctx, m.Hash, media.ExtFor(m.Mime))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer src.Close()
	dst, err := zw.CreateHeader(&zip.FileHeader{Name: mediaName(r.ID, i, m.Mime), Method: zip.Store, Modified: m.CreatedAt})
	if err != nil {
		return false, err
	}
	if _, err := io.CopyBuffer(dst, struct{ io.Reader }{src}, buf); err != nil {
		return false, err
	}
	return true, nil
}
