package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// SQL of the hot statements, prepared once at Open so SQLite parses them
// once per connection instead of on every call.
const (
	// sqlAppendEvent inserts one event. A missing run fails the foreign key
	// (store.ErrNotFound), a duplicate seq the primary key (store.ErrConflict).
	sqlAppendEvent = `INSERT INTO events (run_id, seq, type, data, at) VALUES (?, ?, ?, ?, ?)`

	// sqlPutStage inserts or replaces a stage result; a missing run fails
	// the foreign key.
	sqlPutStage = `INSERT INTO stages
		(run_id, stage, name, status, text, verdict, model, backend, detail, started_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (run_id, stage) DO UPDATE SET
			name = excluded.name, status = excluded.status, text = excluded.text,
			verdict = excluded.verdict, model = excluded.model, backend = excluded.backend,
			detail = excluded.detail, started_at = excluded.started_at, finished_at = excluded.finished_at`

	// sqlCreateRun inserts a run; a duplicate id fails the primary key.
	sqlCreateRun = `INSERT INTO runs
		(id, client_id, stages, lang, input, state, error_code, error_message, created_at, updated_at, finished_at, owner)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	// sqlSetStateOpen moves a run that is still queued or running; it changes
	// no row when the run is missing or final (see SetRunState's slow path).
	sqlSetStateOpen = `UPDATE runs SET state = ?, error_code = ?, error_message = ?,
		updated_at = ?, finished_at = ? WHERE id = ? AND state IN ('` +
		string(store.StateQueued) + `', '` + string(store.StateRunning) + `')`

	// sqlEvents returns the events after a seq, or one row of NULLs when the
	// run exists without such events, or no row when the run is missing: the
	// existence check and the read are one statement, so one snapshot.
	// Arguments: afterSeq, runID.
	sqlEvents = `SELECT e.seq, e.type, e.data, e.at FROM runs AS r
		LEFT JOIN events AS e ON e.run_id = r.id AND e.seq > ?
		WHERE r.id = ? ORDER BY e.seq`

	sqlGetRun = `SELECT id, client_id, stages, lang, input, state,
		error_code, error_message, created_at, updated_at, finished_at, owner FROM runs WHERE id = ?`

	sqlStagesOfRun = `SELECT stage, name, status, text, verdict, model, backend, detail,
		started_at, finished_at FROM stages WHERE run_id = ? ORDER BY stage`

	sqlMediaColumns = `SELECT id, run_id, hash, mime, size, width, height, seed, meta, created_at FROM media `
	sqlMediaOfRun   = sqlMediaColumns + `WHERE run_id = ? ORDER BY created_at, id`
	sqlMediaByID    = sqlMediaColumns + `WHERE id = ?`
)

// statements are the hot statements, prepared on the pool that runs them:
// writes on the single write connection, reads on the read pool (where
// database/sql prepares each on a connection the first time it is used there).
type statements struct {
	appendEvent *sql.Stmt // write
	putStage    *sql.Stmt // write
	createRun   *sql.Stmt // write
	setState    *sql.Stmt // write
	events      *sql.Stmt // read
	getRun      *sql.Stmt // read
	stagesOfRun *sql.Stmt // read
	mediaOfRun  *sql.Stmt // read
	mediaByID   *sql.Stmt // read
}

// prepare prepares the hot statements; on failure the caller closes db,
// which closes those already made.
func (db *DB) prepare(ctx context.Context) error {
	list := []struct {
		dst   **sql.Stmt
		pool  *sql.DB
		query string
	}{
		{&db.st.appendEvent, db.w, sqlAppendEvent},
		{&db.st.putStage, db.w, sqlPutStage},
		{&db.st.createRun, db.w, sqlCreateRun},
		{&db.st.setState, db.w, sqlSetStateOpen},
		{&db.st.events, db.r, sqlEvents},
		{&db.st.getRun, db.r, sqlGetRun},
		{&db.st.stagesOfRun, db.r, sqlStagesOfRun},
		{&db.st.mediaOfRun, db.r, sqlMediaOfRun},
		{&db.st.mediaByID, db.r, sqlMediaByID},
	}
	for _, s := range list {
		st, err := s.pool.PrepareContext(ctx, s.query)
		if err != nil {
			return fmt.Errorf("sqlite: prepare: %w", err)
		}
		*s.dst = st
	}
	return nil
}

// close closes the prepared statements (nil ones are skipped). They stay in
// place, so a call after Close fails with database/sql's "statement is
// closed" instead of a nil dereference.
func (s *statements) close() error {
	var errs []error
	for _, p := range []**sql.Stmt{
		&s.appendEvent, &s.putStage, &s.createRun, &s.setState,
		&s.events, &s.getRun, &s.stagesOfRun, &s.mediaOfRun, &s.mediaByID,
	} {
		if *p != nil {
			errs = append(errs, (*p).Close())
		}
	}
	return errors.Join(errs...)
}
