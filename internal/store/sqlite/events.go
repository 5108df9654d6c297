package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// AppendEvent implements store.Store.
func (db *DB) AppendEvent(ctx context.Context, e store.Event) error {
	data, err := jsonText("data", e.Data)
	if err != nil {
		return fmt.Errorf("sqlite: append event %d of run %s: %w", e.Seq, e.RunID, err)
	}
	if e.At.IsZero() {
		e.At = db.now()
	}
	// One statement, so one transaction of its own; the foreign key reports
	// a missing run.
	_, err = db.st.appendEvent.ExecContext(ctx, e.RunID, e.Seq, e.Type, data, formatTime(e.At))
	switch {
	case isUniqueViolation(err):
		err = store.ErrConflict
	case isForeignKeyViolation(err):
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("sqlite: append event %d of run %s: %w", e.Seq, e.RunID, err)
	}
	return nil
}

// Events implements store.Store.
func (db *DB) Events(ctx context.Context, runID string, afterSeq int64) ([]store.Event, error) {
	out, err := db.events(ctx, runID, afterSeq)
	if err != nil {
		return nil, fmt.Errorf("sqlite: events of run %s: %w", runID, err)
	}
	return out, nil
}

// events runs sqlEvents: no row means the run is missing, a row of NULLs
// that it has no events after afterSeq.
func (db *DB) events(ctx context.Context, runID string, afterSeq int64) ([]store.Event, error) {
	rows, err := db.st.events.QueryContext(ctx, afterSeq, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := false
	var out []store.Event
	for rows.Next() {
		found = true
		var (
			seq       sql.NullInt64
			typ, data sql.NullString
			at        sql.NullString
		)
		if err := rows.Scan(&seq, &typ, &data, &at); err != nil {
			return nil, err
		}
		if !seq.Valid {
			continue // the run exists but has no events after afterSeq
		}
		e := store.Event{RunID: runID, Seq: seq.Int64, Type: typ.String, Data: rawJSON(data)}
		if e.At, err = parseTime(at.String); err != nil {
			return nil, err
		}
		out = append(out, e)
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
	rows, err := db.r.QueryContext(ctx, `SELECT id FROM runs WHERE state IN ('queued', 'running') ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: interrupt unfinished: %w", err)
	}
	var candidates []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: interrupt unfinished: %w", err)
		}
		candidates = append(candidates, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: interrupt unfinished: %w", err)
	}

	var done []string
	for _, id := range candidates {
		changed, err := db.interrupt(ctx, id, now, end)
		if err != nil {
			return done, fmt.Errorf("sqlite: interrupt run %s: %w", id, err)
		}
		if changed {
			done = append(done, id)
		}
	}
	return done, nil
}

// interrupt ends one run as interrupted with end's code, message and
// events, and closes its open stages, in one transaction; it does nothing if
// the run has meanwhile left queued/running.
func (db *DB) interrupt(ctx context.Context, id string, now time.Time, end store.EndFunc) (bool, error) {
	changed := false
	err := db.write(ctx, func(tx *sql.Tx) error {
		var state, created, lang, stages string
		var next int64
		err := tx.QueryRowContext(ctx, `SELECT state, created_at, lang, stages,
			(SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE run_id = runs.id)
			FROM runs WHERE id = ?`, id).Scan(&state, &created, &lang, &stages, &next)
		if err != nil {
			return err
		}
		if st := store.State(state); st != store.StateQueued && st != store.StateRunning {
			return nil
		}
		createdAt, err := parseTime(created)
		if err != nil {
			return err
		}
		ending := end(store.Run{ID: id, Lang: lang, Stages: stages, State: store.State(state), CreatedAt: createdAt}, now)
		if err := ending.Check(); err != nil {
			return err
		}
		at := formatTime(now)
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET state = ?, error_code = ?, error_message = ?,
			updated_at = ?, finished_at = ? WHERE id = ?`,
			string(store.StateInterrupted), ending.Code, ending.Message, at, at, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE stages SET status = ?, finished_at = ? WHERE run_id = ? AND status = ?`,
			string(store.StateInterrupted), at, id, store.StageStarted); err != nil {
			return err
		}
		for i, e := range ending.Events {
			if _, err := tx.ExecContext(ctx, `INSERT INTO events (run_id, seq, type, data, at) VALUES (?, ?, ?, ?, ?)`,
				id, next+int64(i), e.Type, string(e.Data), at); err != nil {
				return err
			}
		}
		changed = true
		return nil
	})
	return changed, err
}
