// Package retention deletes what the server keeps about students once it
// is older than the retention period, and a workshop's data on request:
// database rows first, then the media files no row names any more
// (docs/privacy.md).
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// Store is what retention needs of the store; store.Store implements it.
type Store interface {
	DeleteOlderThan(ctx context.Context, before time.Time) ([]store.File, error)
	DeleteWorkshopData(ctx context.Context, id string) ([]store.File, error)
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
}

// Sweeper deletes old data on a period.
type Sweeper struct {
	Store Store
	// Files keeps the media bytes; with PostgreSQL's media table the store
	// has deleted them already, in the transaction that deleted the rows.
	Files  media.Blobs
	MaxAge time.Duration
	// Every is the period between sweeps; default one hour.
	Every time.Duration
	Now   func() time.Time
	Log   *slog.Logger
}

// Run sweeps at once and then every period until ctx ends. A failed
// sweep is logged and tried again at the next period.
func (s *Sweeper) Run(ctx context.Context) {
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	every := s.Every
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.Sweep(ctx); err != nil {
			log.Error("retention sweep failed", "err", err)
		} else if n > 0 {
			log.Info("retention sweep removed files", "files", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep deletes expired login sessions and everything older than MaxAge
// once, and reports how many media files it removed.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if _, err := s.Store.DeleteExpiredSessions(ctx, now()); err != nil {
		return 0, fmt.Errorf("retention: %w", err)
	}
	files, err := s.Store.DeleteOlderThan(ctx, now().Add(-s.MaxAge))
	if err != nil {
		return 0, fmt.Errorf("retention: %w", err)
	}
	return len(files), RemoveFiles(ctx, s.Files, files)
}

// WorkshopData is the store method DeleteWorkshopData needs.
type WorkshopData interface {
	DeleteWorkshopData(ctx context.Context, id string) ([]store.File, error)
}

// DeleteWorkshopData deletes a workshop's runs, media and devices now.
func DeleteWorkshopData(ctx context.Context, st WorkshopData, files media.Blobs, workshopID string) error {
	fs, err := st.DeleteWorkshopData(ctx, workshopID)
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	return RemoveFiles(ctx, files, fs)
}

// RemoveFiles removes the media files of fs; a missing one is no error.
func RemoveFiles(ctx context.Context, files media.Blobs, fs []store.File) error {
	if files == nil {
		return nil
	}
	var errs []error
	for _, f := range fs {
		if err := files.Remove(ctx, f.Hash, media.ExtFor(f.Mime)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	return nil
}
