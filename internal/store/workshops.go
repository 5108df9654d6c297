package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ErrLimit reports a write a cap forbids: a device joining a workshop that
// has as many devices as it allows.
var ErrLimit = errors.New("store: limit reached")

// Workshops keeps teachers' workshops and the student devices that joined
// them. It is part of Store; every method is one transaction.
type Workshops interface {
	// CreateWorkshop stores a new workshop of an existing account
	// (ErrNotFound otherwise). An empty id, code, name or level is
	// ErrInvalid; a duplicate id or code is ErrConflict. A zero CreatedAt
	// is set to the current time.
	CreateWorkshop(ctx context.Context, w Workshop) error
	// GetWorkshop returns workshop id, or ErrNotFound.
	GetWorkshop(ctx context.Context, id string) (*Workshop, error)
	// WorkshopByCode returns the workshop with join code code, or ErrNotFound.
	WorkshopByCode(ctx context.Context, code string) (*Workshop, error)
	// ListWorkshops returns the workshops of account owner, or every
	// workshop when owner is empty, newest first.
	ListWorkshops(ctx context.Context, owner string) ([]Workshop, error)
	// UpdateWorkshop replaces the teacher-editable fields of workshop w.ID
	// (name, level, configs, limits, times, paused, pause message); its code, owner and
	// CreatedAt stay. An unknown id is ErrNotFound.
	UpdateWorkshop(ctx context.Context, w Workshop) error
	// DeleteWorkshop removes workshop id and its devices; an unknown id is
	// ErrNotFound.
	DeleteWorkshop(ctx context.Context, id string) error
	// CreateDevice stores a device joining workshop d.WorkshopID
	// (ErrNotFound when it does not exist). When the workshop allows at
	// most maxDevices devices (0: no cap) and has them, it is ErrLimit. A
	// duplicate id is ErrConflict, an empty one ErrInvalid.
	CreateDevice(ctx context.Context, d Device, maxDevices int) error
	// GetDevice returns device id, or ErrNotFound.
	GetDevice(ctx context.Context, id string) (*Device, error)
}

// Workshop is a class session a teacher runs.
type Workshop struct {
	ID    string
	Code  string
	Owner string
	Name  string
	// SafetyLevel is never looser than the server's (checked on the way in).
	SafetyLevel string
	// Interceptions and Outputs are the allowed config ids; empty: all.
	Interceptions []string
	Outputs       []string
	Limits        WorkshopLimits
	StartsAt      time.Time
	EndsAt        time.Time
	Paused        bool
	// PauseMessage is what the students see while the workshop is paused.
	PauseMessage string
	CreatedAt    time.Time
}

// WorkshopLimits cap what students of a workshop may do; zero: no cap of
// the workshop's own (the server's limits still apply).
type WorkshopLimits struct {
	// RunsAtOnce is the most unfinished runs per device.
	RunsAtOnce int `json:"runs_at_once"`
	// RunsPerHour is the most runs per device in any hour.
	RunsPerHour int `json:"runs_per_hour"`
	// GenerationsPerHour is the most runs with an image stage per workshop
	// in any hour.
	GenerationsPerHour int `json:"generations_per_hour"`
	// MaxDevices is the most devices that may join.
	MaxDevices int `json:"max_devices"`
}

// Device is a student's browser that joined a workshop by its code.
type Device struct {
	ID         string
	WorkshopID string
	// Nickname is what the student typed; not a real name.
	Nickname  string
	CreatedAt time.Time
}

// EncodeIDs is how both adapters store a workshop's config ids: a JSON
// array; nil is [].
func EncodeIDs(ids []string) string {
	if ids == nil {
		ids = []string{}
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

// DecodeIDs reads the interception and output id lists EncodeIDs wrote.
func (w *Workshop) DecodeIDs(interceptions, outputs string) error {
	return errors.Join(json.Unmarshal([]byte(interceptions), &w.Interceptions), json.Unmarshal([]byte(outputs), &w.Outputs))
}
