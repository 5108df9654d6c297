package store

import (
	"context"
	"time"
)

// Research reads what a workshop made, for the teacher's research export
// (docs/privacy.md). It is part of Store; every method is one transaction.
type Research interface {
	// WorkshopDevices returns the devices that joined workshop id, in the
	// order they joined. An unknown workshop is ErrNotFound.
	WorkshopDevices(ctx context.Context, id string) ([]Device, error)
	// WorkshopRuns returns at most limit runs of the devices of workshop id
	// (client "d:<device id>"), in order of CreatedAt then ID, starting
	// after the run the cursor names (the zero cursor: from the first).
	// Each run has its stages and media, as GetRun fills them. An unknown
	// workshop is ErrNotFound; a limit below 1 is ErrInvalid.
	WorkshopRuns(ctx context.Context, id string, after RunCursor, limit int) ([]Run, error)
}

// RunCursor is a place in WorkshopRuns' order: the last run of the page
// read before.
type RunCursor struct {
	CreatedAt time.Time
	ID        string
}

// CursorAfter is the cursor of the page that follows run r.
func CursorAfter(r Run) RunCursor { return RunCursor{CreatedAt: r.CreatedAt, ID: r.ID} }

// ClientOfDevice is the client id of a run a workshop device started.
func ClientOfDevice(deviceID string) string { return "d:" + deviceID }
