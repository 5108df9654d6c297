package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

const workshopColumns = `SELECT id, code, owner, name, safety_level, interceptions, outputs,
	runs_at_once, runs_per_hour, generations_per_hour, max_devices, starts_at, ends_at, paused, pause_message, created_at
	FROM workshops `

// CreateWorkshop implements store.Store.
func (db *DB) CreateWorkshop(ctx context.Context, w store.Workshop) error {
	if w.ID == "" || w.Code == "" || w.Name == "" || w.SafetyLevel == "" {
		return fmt.Errorf("sqlite: create workshop %q: %w", w.ID, store.ErrInvalid)
	}
	if w.CreatedAt.IsZero() {
		w.CreatedAt = db.now()
	}
	ic, out := store.EncodeIDs(w.Interceptions), store.EncodeIDs(w.Outputs)
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO workshops (id, code, owner, name, safety_level, interceptions, outputs,
			runs_at_once, runs_per_hour, generations_per_hour, max_devices, starts_at, ends_at, paused, pause_message, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.ID, w.Code, w.Owner, w.Name, w.SafetyLevel, ic, out,
			w.Limits.RunsAtOnce, w.Limits.RunsPerHour, w.Limits.GenerationsPerHour, w.Limits.MaxDevices,
			formatTime(w.StartsAt), formatTime(w.EndsAt), w.Paused, w.PauseMessage, formatTime(w.CreatedAt))
		switch {
		case isUniqueViolation(err):
			return store.ErrConflict
		case isForeignKeyViolation(err):
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create workshop %q: %w", w.ID, err)
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
	ws, err := db.queryWorkshops(ctx, `WHERE `+col+` = ?`, v)
	if err == nil && len(ws) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get workshop by %s: %w", col, err)
	}
	return &ws[0], nil
}

// ListWorkshops implements store.Store.
func (db *DB) ListWorkshops(ctx context.Context, owner string) ([]store.Workshop, error) {
	ws, err := db.queryWorkshops(ctx, `WHERE ? = '' OR owner = ? ORDER BY created_at DESC, id`, owner, owner)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list workshops: %w", err)
	}
	return ws, nil
}

func (db *DB) queryWorkshops(ctx context.Context, tail string, args ...any) ([]store.Workshop, error) {
	rows, err := db.r.QueryContext(ctx, workshopColumns+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Workshop
	for rows.Next() {
		var (
			w                         store.Workshop
			ic, oc, start, end, creat string
		)
		if err := rows.Scan(&w.ID, &w.Code, &w.Owner, &w.Name, &w.SafetyLevel, &ic, &oc,
			&w.Limits.RunsAtOnce, &w.Limits.RunsPerHour, &w.Limits.GenerationsPerHour, &w.Limits.MaxDevices,
			&start, &end, &w.Paused, &w.PauseMessage, &creat); err != nil {
			return nil, err
		}
		if err := w.DecodeIDs(ic, oc); err != nil {
			return nil, err
		}
		var e1, e2, e3 error
		w.StartsAt, e1 = parseTime(start)
		w.EndsAt, e2 = parseTime(end)
		w.CreatedAt, e3 = parseTime(creat)
		if err := errors.Join(e1, e2, e3); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// UpdateWorkshop implements store.Store.
func (db *DB) UpdateWorkshop(ctx context.Context, w store.Workshop) error {
	if w.Name == "" || w.SafetyLevel == "" {
		return fmt.Errorf("sqlite: update workshop %q: %w", w.ID, store.ErrInvalid)
	}
	err := db.execOne(ctx, `UPDATE workshops SET name = ?, safety_level = ?, interceptions = ?, outputs = ?,
		runs_at_once = ?, runs_per_hour = ?, generations_per_hour = ?, max_devices = ?,
		starts_at = ?, ends_at = ?, paused = ?, pause_message = ? WHERE id = ?`,
		w.Name, w.SafetyLevel, store.EncodeIDs(w.Interceptions), store.EncodeIDs(w.Outputs),
		w.Limits.RunsAtOnce, w.Limits.RunsPerHour, w.Limits.GenerationsPerHour, w.Limits.MaxDevices,
		formatTime(w.StartsAt), formatTime(w.EndsAt), w.Paused, w.PauseMessage, w.ID)
	if err != nil {
		return fmt.Errorf("sqlite: update workshop %q: %w", w.ID, err)
	}
	return nil
}

// DeleteWorkshop implements store.Store; devices go by ON DELETE CASCADE.
func (db *DB) DeleteWorkshop(ctx context.Context, id string) error {
	if err := db.execOne(ctx, `DELETE FROM workshops WHERE id = ?`, id); err != nil {
		return fmt.Errorf("sqlite: delete workshop %q: %w", id, err)
	}
	return nil
}

// CreateDevice implements store.Store. The count and the insert share the
// one write transaction, so concurrent joins never pass the cap.
func (db *DB) CreateDevice(ctx context.Context, d store.Device, maxDevices int) error {
	if d.ID == "" {
		return fmt.Errorf("sqlite: create device: %w: empty id", store.ErrInvalid)
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = db.now()
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM devices WHERE workshop_id = ?`, d.WorkshopID).Scan(&n); err != nil {
			return err
		}
		if maxDevices > 0 && n >= maxDevices {
			return store.ErrLimit
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO devices (id, workshop_id, nickname, created_at) VALUES (?, ?, ?, ?)`,
			d.ID, d.WorkshopID, d.Nickname, formatTime(d.CreatedAt))
		switch {
		case isUniqueViolation(err):
			return store.ErrConflict
		case isForeignKeyViolation(err):
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create device in workshop %q: %w", d.WorkshopID, err)
	}
	return nil
}

// GetDevice implements store.Store.
func (db *DB) GetDevice(ctx context.Context, id string) (*store.Device, error) {
	var (
		d       store.Device
		created string
	)
	err := db.r.QueryRowContext(ctx, `SELECT id, workshop_id, nickname, created_at FROM devices WHERE id = ?`, id).
		Scan(&d.ID, &d.WorkshopID, &d.Nickname, &created)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err == nil {
		d.CreatedAt, err = parseTime(created)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get device: %w", err)
	}
	return &d, nil
}
