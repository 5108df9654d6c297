package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// PutStage implements store.Store.
func (db *DB) PutStage(ctx context.Context, runID string, r store.StageResult) error {
	if r.Stage < 1 {
		return fmt.Errorf("sqlite: put stage %d of run %s: %w: stage number must be positive", r.Stage, runID, store.ErrInvalid)
	}
	detail, err := jsonText("detail", r.Detail)
	if err != nil {
		return fmt.Errorf("sqlite: put stage %d of run %s: %w", r.Stage, runID, err)
	}
	if r.StartedAt.IsZero() {
		r.StartedAt = db.now()
	}
	err = db.write(ctx, func(tx *sql.Tx) error {
		if _, err := runState(ctx, tx, runID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO stages
			(run_id, stage, name, status, text, verdict, model, backend, detail, started_at, finished_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (run_id, stage) DO UPDATE SET
				name = excluded.name, status = excluded.status, text = excluded.text,
				verdict = excluded.verdict, model = excluded.model, backend = excluded.backend,
				detail = excluded.detail, started_at = excluded.started_at, finished_at = excluded.finished_at`,
			runID, r.Stage, r.Name, r.Status, r.Text, r.Verdict, r.Model, r.Backend, detail,
			formatTime(r.StartedAt), formatTimePtr(r.FinishedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: put stage %d of run %s: %w", r.Stage, runID, err)
	}
	return nil
}

func queryStages(ctx context.Context, tx *sql.Tx, runID string) ([]store.StageResult, error) {
	rows, err := tx.QueryContext(ctx, `SELECT stage, name, status, text, verdict, model, backend, detail,
		started_at, finished_at FROM stages WHERE run_id = ? ORDER BY stage`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.StageResult
	for rows.Next() {
		var (
			s                store.StageResult
			detail, finished sql.NullString
			started          string
		)
		if err := rows.Scan(&s.Stage, &s.Name, &s.Status, &s.Text, &s.Verdict, &s.Model, &s.Backend,
			&detail, &started, &finished); err != nil {
			return nil, err
		}
		s.Detail = rawJSON(detail)
		if s.StartedAt, err = parseTime(started); err != nil {
			return nil, err
		}
		if s.FinishedAt, err = parseTimePtr(finished); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
