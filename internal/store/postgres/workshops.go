package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

const workshopColumns = `SELECT id, code, owner, name, safety_level, interceptions, outputs,
	runs_at_once, runs_per_hour, generations_per_hour, max_devices, starts_at, ends_at, paused, pause_message, created_at
	FROM workshops `

// CreateWorkshop implements store.Store.
func (db *DB) CreateWorkshop(ctx context.Context, w store.Workshop) error {
	if w.ID == "" || w.Code == "" || w.Name == "" || w.SafetyLevel == "" {
		return fmt.Errorf("postgres: create workshop %q: %w", w.ID, store.ErrInvalid)
	}
	if w.CreatedAt.IsZero() {
		w.CreatedAt = db.stamp()
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO workshops (id, code, owner, name, safety_level, interceptions, outputs,
		runs_at_once, runs_per_hour, generations_per_hour, max_devices, starts_at, ends_at, paused, pause_message, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		w.ID, w.Code, w.Owner, w.Name, w.SafetyLevel, store.EncodeIDs(w.Interceptions), store.EncodeIDs(w.Outputs),
		w.Limits.RunsAtOnce, w.Limits.RunsPerHour, w.Limits.GenerationsPerHour, w.Limits.MaxDevices,
		w.StartsAt, w.EndsAt, w.Paused, w.PauseMessage, w.CreatedAt)
	if err != nil {
		return fmt.Errorf("postgres: create workshop %q: %w", w.ID, mapErr(err))
	}
	return nil
}

// GetWorkshop implements store.Store.
func (db *DB) GetWorkshop(ctx context.Context, id string) (*store.Workshop, error) {
	return db.oneWorkshop(ctx, "id", id)
}

// WorkshopByCode implements store.Store.
func (db *DB) WorkshopByCode(ctx context.Context, code string) (*store.Workshop, error) {
	return db.oneWorkshop(ctx, "code", code)
}

func (db *DB) oneWorkshop(ctx context.Context, col, v string) (*store.Workshop, error) {
	ws, err := db.queryWorkshops(ctx, `WHERE `+col+` = $1`, v)
	if err == nil && len(ws) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get workshop by %s: %w", col, err)
	}
	return &ws[0], nil
}

// ListWorkshops implements store.Store.
func (db *DB) ListWorkshops(ctx context.Context, owner string) ([]store.Workshop, error) {
	ws, err := db.queryWorkshops(ctx, `WHERE $1 = '' OR owner = $1 ORDER BY created_at DESC, id`, owner)
	if err != nil {
		return nil, fmt.Errorf("postgres: list workshops: %w", err)
	}
	return ws, nil
}

func (db *DB) queryWorkshops(ctx context.Context, tail string, args ...any) ([]store.Workshop, error) {
	rows, err := db.pool.Query(ctx, workshopColumns+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Workshop
	for rows.Next() {
		var (
			w      store.Workshop
			ic, oc string
		)
		if err := rows.Scan(&w.ID, &w.Code, &w.Owner, &w.Name, &w.SafetyLevel, &ic, &oc,
			&w.Limits.RunsAtOnce, &w.Limits.RunsPerHour, &w.Limits.GenerationsPerHour, &w.Limits.MaxDevices,
			&w.StartsAt, &w.EndsAt, &w.Paused, &w.PauseMessage, &w.CreatedAt); err != nil {
			return nil, err
		}
		if err := w.DecodeIDs(ic, oc); err != nil {
			return nil, err
		}
		w.StartsAt, w.EndsAt, w.CreatedAt = w.StartsAt.UTC(), w.EndsAt.UTC(), w.CreatedAt.UTC()
		out = append(out, w)
	}
	return out, rows.Err()
}

// UpdateWorkshop implements store.Store.
func (db *DB) UpdateWorkshop(ctx context.Context, w store.Workshop) error {
	if w.Name == "" || w.SafetyLevel == "" {
		return fmt.Errorf("postgres: update workshop %q: %w", w.ID, store.ErrInvalid)
	}
	err := db.execOne(ctx, `UPDATE workshops SET name = $1, safety_level = $2, interceptions = $3, outputs = $4,
		runs_at_once = $5, runs_per_hour = $6, generations_per_hour = $7, max_devices = $8,
		starts_at = $9, ends_at = $10, paused = $11, pause_message = $12 WHERE id = $13`,
		w.Name, w.SafetyLevel, store.EncodeIDs(w.Interceptions), store.EncodeIDs(w.Outputs),
		w.Limits.RunsAtOnce, w.Limits.RunsPerHour, w.Limits.GenerationsPerHour, w.Limits.MaxDevices,
		w.StartsAt, w.EndsAt, w.Paused, w.PauseMessage, w.ID)
	if err != nil {
		return fmt.Errorf("postgres: update workshop %q: %w", w.ID, err)
	}
	return nil
}

// DeleteWorkshop implements store.Store; devices go by ON DELETE CASCADE.
func (db *DB) DeleteWorkshop(ctx context.Context, id string) error {
	if err := db.execOne(ctx, `DELETE FROM workshops WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: delete workshop %q: %w", id, err)
	}
	return nil
}

// CreateDevice implements store.Store. The workshop's row is locked while
// its devices are counted, so concurrent joins never pass the cap.
func (db *DB) CreateDevice(ctx context.Context, d store.Device, maxDevices int) error {
	if d.ID == "" {
		return fmt.Errorf("postgres: create device: %w: empty id", store.ErrInvalid)
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = db.stamp()
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM workshops WHERE id = $1 FOR UPDATE`, d.WorkshopID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM devices WHERE workshop_id = $1`, d.WorkshopID).Scan(&n); err != nil {
			return err
		}
		if maxDevices > 0 && n >= maxDevices {
			return store.ErrLimit
		}
		_, err = tx.Exec(ctx, `INSERT INTO devices (id, workshop_id, nickname, created_at) VALUES ($1, $2, $3, $4)`,
			d.ID, d.WorkshopID, d.Nickname, d.CreatedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: create device in workshop %q: %w", d.WorkshopID, mapErr(err))
	}
	return nil
}

// GetDevice implements store.Store.
func (db *DB) GetDevice(ctx context.Context, id string) (*store.Device, error) {
	var d store.Device
	err := db.pool.QueryRow(ctx, `SELECT id, workshop_id, nickname, created_at FROM devices WHERE id = $1`, id).
		Scan(&d.ID, &d.WorkshopID, &d.Nickname, &d.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get device: %w", err)
	}
	d.CreatedAt = d.CreatedAt.UTC()
	return &d, nil
}
