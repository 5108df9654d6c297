package store

import (
	"context"
	"time"
)

// ClassView reads the runs of a workshop for its teacher's live class
// view (docs/api.md, "Class view"). It is part of Store.
type ClassView interface {
	// ClassRuns returns the runs of the devices of workshop id (client
	// "d:<device id>") created at or after since, newest first, at most
	// limit of them, without stages and media. An unknown workshop has
	// none.
	ClassRuns(ctx context.Context, id string, since time.Time, limit int) ([]ClassRun, error)
}

// ClassRun is a run of a workshop with the device that made it.
type ClassRun struct {
	Run
	DeviceID string
	// Nickname is the device's nickname: what the class calls the student.
	Nickname string
}
