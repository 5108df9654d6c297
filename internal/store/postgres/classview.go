package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// sqlClassRuns finds a workshop's runs through its devices
// (runs_client index).
const sqlClassRuns = `SELECT r.id, r.client_id, r.stages, r.lang, r.input, r.state,
	r.error_code, r.error_message, r.created_at, r.updated_at, r.finished_at, d.id, d.nickname
	FROM devices d JOIN runs r ON r.client_id = 'd:' || d.id
	WHERE d.workshop_id = $1 AND r.created_at >= $2
	ORDER BY r.created_at DESC, r.id DESC LIMIT $3`

// ClassRuns implements store.Store.
func (db *DB) ClassRuns(ctx context.Context, id string, since time.Time, limit int) ([]store.ClassRun, error) {
	rows, err := db.pool.Query(ctx, sqlClassRuns, id, since, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: runs of workshop %q: %w", id, err)
	}
	defer rows.Close()
	var out []store.ClassRun
	for rows.Next() {
		var (
			c     store.ClassRun
			input []byte
			state string
		)
		if err := rows.Scan(&c.ID, &c.ClientID, &c.Stages, &c.Lang, &input, &state, &c.ErrorCode, &c.ErrorMessage,
			&c.CreatedAt, &c.UpdatedAt, &c.FinishedAt, &c.DeviceID, &c.Nickname); err != nil {
			return nil, fmt.Errorf("postgres: runs of workshop %q: %w", id, err)
		}
		c.Input, c.State = rawJSON(input), store.State(state)
		c.CreatedAt, c.UpdatedAt, c.FinishedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC(), utcPtr(c.FinishedAt)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: runs of workshop %q: %w", id, err)
	}
	return out, nil
}
