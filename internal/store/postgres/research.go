package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// sqlWorkshopRuns pages through the runs of a workshop's devices.
// Arguments: workshop id, cursor time, cursor id, limit.
const sqlWorkshopRuns = `SELECT id, client_id, stages, lang, input, state,
	error_code, error_message, created_at, updated_at, finished_at, owner FROM runs
	WHERE client_id IN (SELECT 'd:' || id FROM devices WHERE workshop_id = $1)
	AND (created_at, id) > ($2, $3)
	ORDER BY created_at, id LIMIT $4`

// readOnly runs fn in one read-only snapshot.
func (db *DB) readOnly(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// WorkshopDevices implements store.Store.
func (db *DB) WorkshopDevices(ctx context.Context, id string) ([]store.Device, error) {
	var out []store.Device
	err := db.readOnly(ctx, func(tx pgx.Tx) error {
		if err := workshopExists(ctx, tx, id); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, workshop_id, nickname, created_at FROM devices
			WHERE workshop_id = $1 ORDER BY created_at, id`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d store.Device
			if err := rows.Scan(&d.ID, &d.WorkshopID, &d.Nickname, &d.CreatedAt); err != nil {
				return err
			}
			d.CreatedAt = d.CreatedAt.UTC()
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: devices of workshop %q: %w", id, err)
	}
	return out, nil
}

// WorkshopRuns implements store.Store. The page, its stages and its media
// are read in one snapshot; the stages and media of the page go as one
// batch.
func (db *DB) WorkshopRuns(ctx context.Context, id string, after store.RunCursor, limit int) ([]store.Run, error) {
	if limit < 1 {
		return nil, fmt.Errorf("postgres: runs of workshop %q: %w: limit %d", id, store.ErrInvalid, limit)
	}
	var out []store.Run
	err := db.readOnly(ctx, func(tx pgx.Tx) error {
		if err := workshopExists(ctx, tx, id); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, sqlWorkshopRuns, id, after.CreatedAt, after.ID, limit)
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
		rows.Close()
		if err := rows.Err(); err != nil || len(out) == 0 {
			return err
		}
		b := &pgx.Batch{}
		for _, r := range out {
			b.Queue(sqlStagesOfRun, r.ID)
			b.Queue(sqlMediaOfRun, r.ID)
		}
		br := tx.SendBatch(ctx, b)
		for i := range out {
			if out[i].Stage, err = scanStages(br.Query()); err != nil {
				break
			}
			if out[i].Media, err = scanMedia(br.Query()); err != nil {
				break
			}
		}
		return errors.Join(err, br.Close())
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: runs of workshop %q: %w", id, err)
	}
	return out, nil
}

// workshopExists is store.ErrNotFound unless workshop id exists.
func workshopExists(ctx context.Context, tx pgx.Tx, id string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM workshops WHERE id = $1`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
