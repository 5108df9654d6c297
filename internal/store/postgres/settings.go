package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// GetSettings implements store.Store.
func (db *DB) GetSettings(ctx context.Context) (*store.ServerSettings, error) {
	var (
		s         store.ServerSettings
		ics, outs string
	)
	err := db.pool.QueryRow(ctx, `SELECT safety_floor, disabled_interceptions, disabled_outputs,
		updated_by, updated_at FROM settings WHERE id = 1`).Scan(&s.SafetyFloor, &ics, &outs, &s.UpdatedBy, &s.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return &store.ServerSettings{}, nil
	}
	if err == nil {
		s.DisabledInterceptions, s.DisabledOutputs, err = store.DecodeIDLists(ics, outs)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get settings: %w", err)
	}
	s.UpdatedAt = s.UpdatedAt.UTC()
	return &s, nil
}

// PutSettings implements store.Store.
func (db *DB) PutSettings(ctx context.Context, s store.ServerSettings) error {
	if s.UpdatedAt.IsZero() {
		s.UpdatedAt = db.stamp()
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO settings
		(id, safety_floor, disabled_interceptions, disabled_outputs, updated_by, updated_at)
		VALUES (1, $1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET safety_floor = excluded.safety_floor,
		disabled_interceptions = excluded.disabled_interceptions, disabled_outputs = excluded.disabled_outputs,
		updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		s.SafetyFloor, store.EncodeIDs(s.DisabledInterceptions), store.EncodeIDs(s.DisabledOutputs),
		s.UpdatedBy, s.UpdatedAt)
	if err != nil {
		return fmt.Errorf("postgres: put settings: %w", mapErr(err))
	}
	return nil
}
