package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// sqlWorkshopRuns pages through the runs of a workshop's devices.
// Arguments: workshop id, cursor time (twice), cursor id, limit.
const sqlWorkshopRuns = `SELECT id, client_id, stages, lang, input, state,
	error_code, error_message, created_at, updated_at, finished_at, owner FROM runs
	WHERE client_id IN (SELECT 'd:' || id FROM devices WHERE workshop_id = ?)
	AND (created_at > ? OR (created_at = ? AND id > ?))
	ORDER BY created_at, id LIMIT ?`

// WorkshopDevices implements store.Store.
func (db *DB) WorkshopDevices(ctx context.Context, id string) ([]store.Device, error) {
	var out []store.Device
	err := db.read(ctx, func(tx *sql.Tx) error {
		if err := workshopExists(ctx, tx, id); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, workshop_id, nickname, created_at FROM devices
			WHERE workshop_id = ? ORDER BY created_at, id`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				d       store.Device
				created string
			)
			if err := rows.Scan(&d.ID, &d.WorkshopID, &d.Nickname, &created); err != nil {
				return err
			}
			if d.CreatedAt, err = parseTime(created); err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: devices of workshop %q: %w", id, err)
	}
	return out, nil
}

// WorkshopRuns implements store.Store. The page, its stages and its media
// are read in one snapshot.
func (db *DB) WorkshopRuns(ctx context.Context, id string, after store.RunCursor, limit int) ([]store.Run, error) {
	if limit < 1 {
		return nil, fmt.Errorf("sqlite: runs of workshop %q: %w: limit %d", id, store.ErrInvalid, limit)
	}
	var out []store.Run
	err := db.read(ctx, func(tx *sql.Tx) error {
		if err := workshopExists(ctx, tx, id); err != nil {
			return err
		}
		cur := formatTime(after.CreatedAt)
		rows, err := tx.QueryContext(ctx, sqlWorkshopRuns, id, cur, cur, after.ID, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			r, err := scanRun(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, *r)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		stages, media := tx.StmtContext(ctx, db.st.stagesOfRun), tx.StmtContext(ctx, db.st.mediaOfRun)
		for i := range out {
			if out[i].Stage, err = queryStages(ctx, stages, out[i].ID); err != nil {
				return err
			}
			if out[i].Media, err = queryMedia(ctx, media, out[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: runs of workshop %q: %w", id, err)
	}
	return out, nil
}

// workshopExists is store.ErrNotFound unless workshop id exists.
func workshopExists(ctx context.Context, tx *sql.Tx, id string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM workshops WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
