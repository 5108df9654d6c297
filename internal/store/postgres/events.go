package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

const (
	// sqlAppendEvent inserts one event. A missing run fails the foreign key
	// (store.ErrNotFound), a duplicate seq the primary key (store.ErrConflict).
	sqlAppendEvent = `INSERT INTO events (run_id, seq, type, data, at) VALUES ($1, $2, $3, $4, $5)`

	// sqlEvents returns the events after a seq, or one row of NULLs when the
	// run exists without such events, or no row when the run is missing: the
	// existence check and the read are one statement, so one snapshot.
	sqlEvents = `SELECT e.seq, e.type, e.data, e.at FROM runs AS r
		LEFT JOIN events AS e ON e.run_id = r.id AND e.seq > $1
		WHERE r.id = $2 ORDER BY e.seq`

	sqlUnfinished = `SELECT id FROM runs WHERE state IN ('` +
		string(store.StateQueued) + `', '` + string(store.StateRunning) + `') ORDER BY created_at, id`
)

// AppendEvent implements store.Store.
func (db *DB) AppendEvent(ctx context.Context, e store.Event) error {
	data, err := jsonArg("data", e.Data)
	if err != nil {
		return fmt.Errorf("postgres: append event %d of run %s: %w", e.Seq, e.RunID, err)
	}
	if e.At.IsZero() {
		e.At = db.stamp()
	}
	_, err = db.pool.Exec(ctx, sqlAppendEvent, e.RunID, e.Seq, e.Type, data, e.At)
	if err != nil {
		return fmt.Errorf("postgres: append event %d of run %s: %w", e.Seq, e.RunID, mapErr(err))
	}
	return nil
}

// Events implements store.Store.
func (db *DB) Events(ctx context.Context, runID string, afterSeq int64) ([]store.Event, error) {
	out, err := db.events(ctx, runID, afterSeq)
	if err != nil {
		return nil, fmt.Errorf("postgres: events of run %s: %w", runID, err)
	}
	return out, nil
}

// events runs sqlEvents: no row means the run is missing, a row of NULLs
// that it has no events after afterSeq.
func (db *DB) events(ctx context.Context, runID string, afterSeq int64) ([]store.Event, error) {
	rows, err := db.pool.Query(ctx, sqlEvents, afterSeq, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := false
	var out []store.Event
	for rows.Next() {
		found = true
		var (
			seq  pgtype.Int8
			typ  pgtype.Text
			data []byte
			at   pgtype.Timestamptz
		)
		if err := rows.Scan(&seq, &typ, &data, &at); err != nil {
			return nil, err
		}
		if !seq.Valid {
			continue // the run exists but has no events after afterSeq
		}
		out = append(out, store.Event{RunID: runID, Seq: seq.Int64, Type: typ.String, Data: rawJSON(data), At: at.Time.UTC()})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !found {
		return nil, store.ErrNotFound
	}
	return out, nil
}

// InterruptUnfinished implements store.Store.
func (db *DB) InterruptUnfinished(ctx context.Context, now time.Time, end store.EndFunc) ([]string, error) {
	rows, err := db.pool.Query(ctx, sqlUnfinished)
	if err != nil {
		return nil, fmt.Errorf("postgres: interrupt unfinished: %w", err)
	}
	candidates, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: interrupt unfinished: %w", err)
	}
	now = now.UTC()
	var done []string
	for _, id := range candidates {
		changed, err := db.interrupt(ctx, id, now, end)
		if err != nil {
			return done, fmt.Errorf("postgres: interrupt run %s: %w", id, mapErr(err))
		}
		if changed {
			done = append(done, id)
		}
	}
	return done, nil
}

// interrupt marks one run interrupted and appends its done event, in one
// transaction; it does nothing if the run has meanwhile left queued/running
// or gone.
func (db *DB) interrupt(ctx context.Context, id string, now time.Time, end store.EndFunc) (bool, error) {
	changed := false
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// The row lock waits for concurrent event inserts (they hold a key
		// share lock on the run) and keeps new ones out until COMMIT, so the
		// next statement, with a fresh snapshot, sees the final MAX(seq).
		var (
			state, lang, stages string
			created             time.Time
		)
		err := tx.QueryRow(ctx, `SELECT state, created_at, lang, stages FROM runs WHERE id = $1 FOR UPDATE`, id).Scan(&state, &created, &lang, &stages)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if st := store.State(state); st != store.StateQueued && st != store.StateRunning {
			return nil
		}
		var next int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE run_id = $1`, id).Scan(&next); err != nil {
			return err
		}
		ending := end(store.Run{ID: id, Lang: lang, Stages: stages, State: store.State(state), CreatedAt: created.UTC()}, now)
		if err := ending.Check(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE runs SET state = $1, error_code = $2, error_message = $3,
			updated_at = $4, finished_at = $4 WHERE id = $5`,
			string(store.StateInterrupted), ending.Code, ending.Message, now, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE stages SET status = $1, finished_at = $2 WHERE run_id = $3 AND status = $4`,
			string(store.StateInterrupted), now, id, store.StageStarted); err != nil {
			return err
		}
		for i, e := range ending.Events {
			if _, err := tx.Exec(ctx, sqlAppendEvent, id, next+int64(i), e.Type, e.Data, now); err != nil {
				return err
			}
		}
		changed = true
		return nil
	})
	return changed, err
}
