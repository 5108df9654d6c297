package store

import (
	"context"
	"time"
)

// Retention deletes what the server keeps about students once it is old or
// a teacher asks (docs/privacy.md). It is part of Store; every method is
// one transaction.
type Retention interface {
	// DeleteOlderThan deletes every finished run created before before (with
	// its stages, events and media rows), every upload and every device
	// created before it. It returns the media files no remaining row names,
	// for the caller to remove.
	DeleteOlderThan(ctx context.Context, before time.Time) ([]File, error)
	// DeleteWorkshopData deletes the finished runs of the devices of
	// workshop id (client "d:<device id>", with their stages, events and
	// media rows) and its devices; the workshop stays. An unknown workshop
	// is ErrNotFound. It returns the media files no remaining row names.
	DeleteWorkshopData(ctx context.Context, id string) ([]File, error)
}

// File names a stored media file by its content hash and type.
type File struct {
	Hash string
	Mime string
}
