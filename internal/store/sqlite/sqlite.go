// Package sqlite implements store.Store on an SQLite database file through
// modernc.org/sqlite (pure Go, no cgo).
//
// The database runs in WAL mode. Writes go through a single connection and
// queue in Go instead of failing with SQLITE_BUSY; reads use a separate pool
// of query-only connections that never wait for the writer.
//
// The hot paths (AppendEvent, PutStage, SetRunState, CreateRun, Events,
// GetRun) run statements prepared once at Open. A write that is a single
// statement runs without BEGIN/COMMIT: SQLite makes every statement outside
// an explicit transaction its own transaction, with the same atomicity and
// durability. Writes of several statements start with BEGIN IMMEDIATE.
package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// readConns is the size of the read pool.
const readConns = 4

// busyTimeoutMS is how long a connection waits for a lock held by another
// process before failing.
const busyTimeoutMS = 10000

// DB is an SQLite-backed store.Store.
type DB struct {
	w   *sql.DB // one connection; every write transaction
	r   *sql.DB // query-only pool; reads
	st  statements
	now func() time.Time
}

var _ store.Store = (*DB)(nil)

// Open opens (creating if needed) the database file at path, creating its
// parent directory, and applies any pending migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	db, err := open(ctx, path, mustSub(embedded, "migrations"))
	if err != nil {
		return nil, err
	}
	if err := db.prepare(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a constant that exists in the embedded tree
	}
	return sub
}

// open opens both pools and applies migrations; it prepares no statements,
// so tests can run it with migrations of their own.
func open(ctx context.Context, path string, migrations fs.FS) (*DB, error) {
	if path == "" || path == ":memory:" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open %q: need a plain file path", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	common := fmt.Sprintf("%s?_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)", path, busyTimeoutMS)
	w, err := openLanes(common + "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	// The write connection sets WAL mode (persistent in the file) before any
	// reader opens.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if _, err := migrate(ctx, w, migrations); err != nil {
		w.Close()
		return nil, err
	}
	r, err := openLanes(common + "&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	return &DB{w: w, r: r, now: time.Now}, nil
}

// openLanes returns a pool of connections to dsn that run on lanes
// (lane.go).
func openLanes(dsn string) (*sql.DB, error) {
	c, err := newLaneConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

// Close closes the prepared statements and both connection pools.
func (db *DB) Close() error {
	return errors.Join(db.st.close(), db.r.Close(), db.w.Close())
}

// write runs fn in one write transaction (BEGIN IMMEDIATE).
func (db *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// read runs fn in one read transaction, so its queries see one snapshot.
func (db *DB) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// isUniqueViolation reports whether err is a primary key or unique
// constraint failure.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code()
	return code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || code == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// isForeignKeyViolation reports whether err is a foreign key failure: a row
// that names a run that does not exist.
func isForeignKeyViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// timeLayout is fixed width, so stored times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func formatTimePtr(t *time.Time) sql.NullString {
	if t == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: formatTime(*t), Valid: true}
}

// parseTime reads a time stored with timeLayout. That text is RFC 3339, and
// time.Parse has a fast path for the RFC3339Nano layout (several times faster
// than a custom layout, which matters when reading many events).
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: bad stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

func parseTimePtr(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// jsonText validates and compacts a JSON column value; empty becomes NULL.
func jsonText(field string, raw json.RawMessage) (sql.NullString, error) {
	if len(raw) == 0 {
		return sql.NullString{}, nil
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := json.Compact(&buf, raw); err != nil {
		return sql.NullString{}, fmt.Errorf("%w: %s is not valid JSON: %v", store.ErrInvalid, field, err)
	}
	return sql.NullString{String: buf.String(), Valid: true}, nil
}

func rawJSON(s sql.NullString) json.RawMessage {
	if !s.Valid {
		return nil
	}
	return json.RawMessage(s.String)
}
