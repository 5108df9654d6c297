package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

const (
	// sqlCreateRun inserts a run; a duplicate id fails the primary key.
	sqlCreateRun = `INSERT INTO runs
		(id, client_id, stages, lang, input, state, error_code, error_message, created_at, updated_at, finished_at, owner)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`

	// sqlSetStateOpen moves a run that is still queued or running; it
	// changes no row when the run is missing or final (see SetRunState).
	sqlSetStateOpen = `UPDATE runs SET state = $1, error_code = $2, error_message = $3,
		updated_at = $4, finished_at = $5 WHERE id = $6 AND state IN ('` +
		string(store.StateQueued) + `', '` + string(store.StateRunning) + `')`

	sqlGetRun = `SELECT id, client_id, stages, lang, input, state,
		error_code, error_message, created_at, updated_at, finished_at, owner FROM runs WHERE id = $1`
)

// CreateRun implements store.Store.
func (db *DB) CreateRun(ctx context.Context, r *store.Run) error {
	if r.ID == "" {
		return fmt.Errorf("postgres: create run: %w: empty id", store.ErrInvalid)
	}
	if r.State == "" {
		r.State = store.StateQueued
	}
	if !r.State.Valid() {
		return fmt.Errorf("postgres: create run %s: %w: unknown state %q", r.ID, store.ErrInvalid, r.State)
	}
	input, err := jsonArg("input", r.Input)
	if err != nil {
		return fmt.Errorf("postgres: create run %s: %w", r.ID, err)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = db.stamp()
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	_, err = db.pool.Exec(ctx, sqlCreateRun,
		r.ID, r.ClientID, r.Stages, r.Lang, input, string(r.State), r.ErrorCode, r.ErrorMessage,
		r.CreatedAt, r.UpdatedAt, r.FinishedAt, r.Owner)
	if err != nil {
		return fmt.Errorf("postgres: create run %s: %w", r.ID, mapErr(err))
	}
	return nil
}

// SetRunState implements store.Store.
func (db *DB) SetRunState(ctx context.Context, id string, st store.State, code, msg string) error {
	if !st.Valid() {
		return fmt.Errorf("postgres: set run %s state: %w: unknown state %q", id, store.ErrInvalid, st)
	}
	now := db.stamp()
	var finished *time.Time
	if st.Final() {
		finished = &now
	}
	// Fast path: one conditional UPDATE, its own transaction, moves a run
	// that is queued or running.
	tag, err := db.pool.Exec(ctx, sqlSetStateOpen, string(st), code, msg, now, finished, id)
	if err == nil && tag.RowsAffected() == 1 {
		return nil
	}
	if err == nil {
		// No row changed: the run is missing or final. Decide in one
		// transaction holding the run's row lock.
		err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			var cur string
			err := tx.QueryRow(ctx, `SELECT state FROM runs WHERE id = $1 FOR UPDATE`, id).Scan(&cur)
			if errors.Is(err, pgx.ErrNoRows) {
				return store.ErrNotFound
			}
			if err != nil {
				return err
			}
			if store.State(cur).Final() {
				return fmt.Errorf("%w: run is already %s", store.ErrConflict, cur)
			}
			_, err = tx.Exec(ctx, `UPDATE runs SET state = $1, error_code = $2, error_message = $3,
				updated_at = $4, finished_at = $5 WHERE id = $6`, string(st), code, msg, now, finished, id)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("postgres: set run %s state %s: %w", id, st, mapErr(err))
	}
	return nil
}

// GetRun implements store.Store. The run, its stages and its media are read
// in one read-only snapshot, sent as one batch.
func (db *DB) GetRun(ctx context.Context, id string) (*store.Run, error) {
	var r *store.Run
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			b.Queue(sqlGetRun, id)
			b.Queue(sqlStagesOfRun, id)
			b.Queue(sqlMediaOfRun, id)
			br := tx.SendBatch(ctx, b)
			var err error
			if r, err = scanRun(br.QueryRow()); err == nil {
				if r.Stage, err = scanStages(br.Query()); err == nil {
					r.Media, err = scanMedia(br.Query())
				}
			}
			return errors.Join(err, br.Close())
		})
	if err != nil {
		return nil, fmt.Errorf("postgres: get run %s: %w", id, err)
	}
	return r, nil
}

func scanRun(row pgx.Row) (*store.Run, error) {
	var (
		r     store.Run
		input []byte
		state string
	)
	err := row.Scan(&r.ID, &r.ClientID, &r.Stages, &r.Lang, &input, &state,
		&r.ErrorCode, &r.ErrorMessage, &r.CreatedAt, &r.UpdatedAt, &r.FinishedAt, &r.Owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r.Input = rawJSON(input)
	r.State = store.State(state)
	r.CreatedAt = r.CreatedAt.UTC()
	r.UpdatedAt = r.UpdatedAt.UTC()
	r.FinishedAt = utcPtr(r.FinishedAt)
	return &r, nil
}
