package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Settings keeps the server-wide defaults an admin sets for workshops
// (docs/api.md, "Admin settings"). It is part of Store; every method is
// one transaction.
type Settings interface {
	// GetSettings returns the stored settings; before any PutSettings it
	// returns the zero ServerSettings (no error).
	GetSettings(ctx context.Context) (*ServerSettings, error)
	// PutSettings replaces the settings. A zero UpdatedAt is set to the
	// current time.
	PutSettings(ctx context.Context, s ServerSettings) error
}

// ServerSettings are the admin's defaults for every workshop.
type ServerSettings struct {
	// SafetyFloor is the loosest level a workshop may have; it is never
	// looser than the server's own level (checked on the way in). Empty:
	// the server's level.
	SafetyFloor string
	// DisabledInterceptions and DisabledOutputs are config ids no workshop
	// may allow; a config not listed is enabled, so a new config is
	// enabled until an admin disables it.
	DisabledInterceptions []string
	DisabledOutputs       []string
	// UpdatedBy is the account that saved them last.
	UpdatedBy string
	UpdatedAt time.Time
}

// DecodeIDLists reads two id lists EncodeIDs wrote; null is an empty list.
func DecodeIDLists(a, b string) ([]string, []string, error) {
	var la, lb []string
	err := errors.Join(json.Unmarshal([]byte(a), &la), json.Unmarshal([]byte(b), &lb))
	return la, lb, err
}
