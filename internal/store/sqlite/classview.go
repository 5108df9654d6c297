package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// sqlClassRuns finds a workshop's runs through its devices
// (runs_client index).
const sqlClassRuns = `SELECT r.id, r.client_id, r.stages, r.lang, r.input, r.state,
	r.error_code, r.error_message, r.created_at, r.updated_at, r.finished_at, d.id, d.nickname
	FROM devices d JOIN runs r ON r.client_id = 'd:' || d.id
	WHERE d.workshop_id = ? AND r.created_at >= ?
	ORDER BY r.created_at DESC, r.id DESC LIMIT ?`

// ClassRuns implements store.Store.
func (db *DB) ClassRuns(ctx context.Context, id string, since time.Time, limit int) ([]store.ClassRun, error) {
	var out []store.ClassRun
	err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, sqlClassRuns, id, formatTime(since), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				c                store.ClassRun
				input, finished  sql.NullString
				state            string
				created, updated string
			)
			if err := rows.Scan(&c.ID, &c.ClientID, &c.Stages, &c.Lang, &input, &state, &c.ErrorCode, &c.ErrorMessage,
				&created, &updated, &finished, &c.DeviceID, &c.Nickname); err != nil {
				return err
			}
			c.Input, c.State = rawJSON(input), store.State(state)
			if c.CreatedAt, err = parseTime(created); err != nil {
				return err
			}
			if c.UpdatedAt, err = parseTime(updated); err != nil {
				return err
			}
			if c.FinishedAt, err = parseTimePtr(finished); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: runs of workshop %q: %w", id, err)
	}
	return out, nil
}
