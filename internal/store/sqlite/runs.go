package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// CreateRun implements store.Store.
func (db *DB) CreateRun(ctx context.Context, r *store.Run) error {
	if r.ID == "" {
		return fmt.Errorf("sqlite: create run: %w: empty id", store.ErrInvalid)
	}
	if r.State == "" {
		r.State = store.StateQueued
	}
	if !r.State.Valid() {
		return fmt.Errorf("sqlite: create run %s: %w: unknown state %q", r.ID, store.ErrInvalid, r.State)
	}
	input, err := jsonText("input", r.Input)
	if err != nil {
		return fmt.Errorf("sqlite: create run %s: %w", r.ID, err)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = db.now().UTC()
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	_, err = db.st.createRun.ExecContext(ctx,
		r.ID, r.ClientID, r.Stages, r.Lang, input, string(r.State), r.ErrorCode, r.ErrorMessage,
		formatTime(r.CreatedAt), formatTime(r.UpdatedAt), formatTimePtr(r.FinishedAt), r.Owner)
	if isUniqueViolation(err) {
		err = store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("sqlite: create run %s: %w", r.ID, err)
	}
	return nil
}

// SetRunState implements store.Store.
func (db *DB) SetRunState(ctx context.Context, id string, st store.State, code, msg string) error {
	if !st.Valid() {
		return fmt.Errorf("sqlite: set run %s state: %w: unknown state %q", id, store.ErrInvalid, st)
	}
	now := formatTime(db.now())
	finished := sql.NullString{}
	if st.Final() {
		finished = sql.NullString{String: now, Valid: true}
	}
	// Fast path: one conditional UPDATE, its own transaction, moves a run
	// that is queued or running.
	res, err := db.st.setState.ExecContext(ctx, string(st), code, msg, now, finished, id)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 1 {
			return nil
		}
	}
	if err == nil {
		// No row changed: the run is missing or final (or in a state the
		// fast path does not know). Decide in one write transaction.
		err = db.write(ctx, func(tx *sql.Tx) error {
			cur, err := runState(ctx, tx, id)
			if err != nil {
				return err
			}
			if cur.Final() {
				return fmt.Errorf("%w: run is already %s", store.ErrConflict, cur)
			}
			_, err = tx.ExecContext(ctx, `UPDATE runs SET state = ?, error_code = ?, error_message = ?,
				updated_at = ?, finished_at = ? WHERE id = ?`, string(st), code, msg, now, finished, id)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("sqlite: set run %s state %s: %w", id, st, err)
	}
	return nil
}

// runState reads a run's state inside tx; a missing run is store.ErrNotFound.
func runState(ctx context.Context, tx *sql.Tx, id string) (store.State, error) {
	var st string
	err := tx.QueryRowContext(ctx, `SELECT state FROM runs WHERE id = ?`, id).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", store.ErrNotFound
	}
	return store.State(st), err
}

// GetRun implements store.Store.
func (db *DB) GetRun(ctx context.Context, id string) (*store.Run, error) {
	var r *store.Run
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		if r, err = scanRun(tx.StmtContext(ctx, db.st.getRun).QueryRowContext(ctx, id)); err != nil {
			return err
		}
		if r.Stage, err = queryStages(ctx, tx.StmtContext(ctx, db.st.stagesOfRun), id); err != nil {
			return err
		}
		r.Media, err = queryMedia(ctx, tx.StmtContext(ctx, db.st.mediaOfRun), id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: get run %s: %w", id, err)
	}
	return r, nil
}

// scanRun reads one row of run columns (sqlGetRun's) from a *sql.Row or
// *sql.Rows.
func scanRun(row interface{ Scan(...any) error }) (*store.Run, error) {
	var (
		r                store.Run
		input, finished  sql.NullString
		state            string
		created, updated string
	)
	err := row.Scan(&r.ID, &r.ClientID, &r.Stages, &r.Lang, &input, &state,
		&r.ErrorCode, &r.ErrorMessage, &created, &updated, &finished, &r.Owner)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r.Input = rawJSON(input)
	r.State = store.State(state)
	if r.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if r.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	if r.FinishedAt, err = parseTimePtr(finished); err != nil {
		return nil, err
	}
	return &r, nil
}
