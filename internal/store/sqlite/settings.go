package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// GetSettings implements store.Store.
func (db *DB) GetSettings(ctx context.Context) (*store.ServerSettings, error) {
	var (
		s                  store.ServerSettings
		ics, outs, updated string
	)
	err := db.r.QueryRowContext(ctx, `SELECT safety_floor, disabled_interceptions, disabled_outputs,
		updated_by, updated_at FROM settings WHERE id = 1`).Scan(&s.SafetyFloor, &ics, &outs, &s.UpdatedBy, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return &store.ServerSettings{}, nil
	}
	if err == nil {
		s.DisabledInterceptions, s.DisabledOutputs, err = store.DecodeIDLists(ics, outs)
	}
	if err == nil {
		s.UpdatedAt, err = parseTime(updated)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get settings: %w", err)
	}
	return &s, nil
}

// PutSettings implements store.Store.
func (db *DB) PutSettings(ctx context.Context, s store.ServerSettings) error {
	if s.UpdatedAt.IsZero() {
		s.UpdatedAt = db.now()
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings
			(id, safety_floor, disabled_interceptions, disabled_outputs, updated_by, updated_at)
			VALUES (1, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET safety_floor = excluded.safety_floor,
			disabled_interceptions = excluded.disabled_interceptions, disabled_outputs = excluded.disabled_outputs,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			s.SafetyFloor, store.EncodeIDs(s.DisabledInterceptions), store.EncodeIDs(s.DisabledOutputs),
			s.UpdatedBy, formatTime(s.UpdatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: put settings: %w", err)
	}
	return nil
}
