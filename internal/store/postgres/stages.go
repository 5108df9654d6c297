package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

const (
	// sqlPutStage inserts or replaces a stage result; a missing run fails
	// the foreign key.
	sqlPutStage = `INSERT INTO stages
		(run_id, stage, name, status, text, verdict, model, backend, detail, started_at, finished_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (run_id, stage) DO UPDATE SET
			name = excluded.name, status = excluded.status, text = excluded.text,
			verdict = excluded.verdict, model = excluded.model, backend = excluded.backend,
			detail = excluded.detail, started_at = excluded.started_at, finished_at = excluded.finished_at`

	sqlStagesOfRun = `SELECT stage, name, status, text, verdict, model, backend, detail,
		started_at, finished_at FROM stages WHERE run_id = $1 ORDER BY stage`
)

// PutStage implements store.Store.
func (db *DB) PutStage(ctx context.Context, runID string, r store.StageResult) error {
	if r.Stage < 1 {
		return fmt.Errorf("postgres: put stage %d of run %s: %w: stage number must be positive", r.Stage, runID, store.ErrInvalid)
	}
	detail, err := jsonArg("detail", r.Detail)
	if err != nil {
		return fmt.Errorf("postgres: put stage %d of run %s: %w", r.Stage, runID, err)
	}
	if r.StartedAt.IsZero() {
		r.StartedAt = db.stamp()
	}
	// One statement, so one transaction of its own; the foreign key reports
	// a missing run.
	_, err = db.pool.Exec(ctx, sqlPutStage, runID, r.Stage, r.Name, r.Status, r.Text, r.Verdict,
		r.Model, r.Backend, detail, r.StartedAt, r.FinishedAt)
	if err != nil {
		return fmt.Errorf("postgres: put stage %d of run %s: %w", r.Stage, runID, mapErr(err))
	}
	return nil
}

// scanStages reads the rows of sqlStagesOfRun and closes them.
func scanStages(rows pgx.Rows, err error) ([]store.StageResult, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.StageResult
	for rows.Next() {
		var (
			s      store.StageResult
			detail []byte
		)
		if err := rows.Scan(&s.Stage, &s.Name, &s.Status, &s.Text, &s.Verdict, &s.Model, &s.Backend,
			&detail, &s.StartedAt, &s.FinishedAt); err != nil {
			return nil, err
		}
		s.Detail = rawJSON(detail)
		s.StartedAt = s.StartedAt.UTC()
		s.FinishedAt = utcPtr(s.FinishedAt)
		out = append(out, s)
	}
	return out, rows.Err()
}
