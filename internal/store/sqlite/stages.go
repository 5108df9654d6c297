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
	// One statement, so one transaction of its own; the foreign key reports
	// a missing run.
	_, err = db.st.putStage.ExecContext(ctx, runID, r.Stage, r.Name, r.Status, r.Text, r.Verdict,
		r.Model, r.Backend, detail, formatTime(r.StartedAt), formatTimePtr(r.FinishedAt))
	if isForeignKeyViolation(err) {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("sqlite: put stage %d of run %s: %w", r.Stage, runID, err)
	}
	return nil
}

// queryStages runs stmt, sqlStagesOfRun, for runID.
func queryStages(ctx context.Context, stmt *sql.Stmt, runID string) ([]store.StageResult, error) {
	rows, err := stmt.QueryContext(ctx, runID)
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
