// Package postgres implements store.Store on a PostgreSQL database through
// github.com/jackc/pgx/v5 and its connection pool, pgxpool.
//
// Open applies the embedded migrations (migrations/NNNN_name.sql, in order,
// each in its own transaction) under a transaction-level advisory lock, so
// several servers starting at once against one database migrate it once.
//
// Every method is one statement or one transaction. pgx prepares and caches
// each statement per connection on first use, so the hot paths (AppendEvent,
// PutStage, SetRunState, CreateRun, Events, GetRun) are parsed once per
// connection. Times are TIMESTAMPTZ (microsecond precision) and come back in
// UTC; JSON payloads are stored as JSON, not JSONB, so they come back
// byte-identical to what was written; media seeds are NUMERIC(20,0), which
// holds the whole uint64 range.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// DB is a PostgreSQL-backed store.Store.
type DB struct {
	pool *pgxpool.Pool
	now  func() time.Time
	// channel is the schema's notification channel (notify.go).
	channel string
	// lease is the replica lease's own connection (replicas.go).
	lease leaseConn
}

var (
	_ store.Store    = (*DB)(nil)
	_ store.Replicas = (*DB)(nil)
)

// Open connects to the database at url, a PostgreSQL connection URL or
// key/value string as pgx understands it (pool settings such as
// pool_max_conns included), and applies any pending migrations.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return open(ctx, cfg, mustSub(embedded, "migrations"))
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a constant that exists in the embedded tree
	}
	return sub
}

// open creates the pool for cfg and applies the migrations in fsys; tests
// use it with configurations and migrations of their own.
func open(ctx context.Context, cfg *pgxpool.Config, migrations fs.FS) (*DB, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if _, err := migrate(ctx, pool, migrations); err != nil {
		pool.Close()
		return nil, err
	}
	db := &DB{pool: pool, now: time.Now}
	if err := pool.QueryRow(ctx, sqlChannel).Scan(&db.channel); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: notification channel: %w", err)
	}
	return db, nil
}

// Close closes every connection of the pool, waiting for those in use to
// be returned.
func (db *DB) Close() error {
	db.lease.close()
	db.pool.Close()
	return nil
}

// stamp returns the current time in UTC at the precision PostgreSQL keeps, so
// a default time set on a record equals the one read back.
func (db *DB) stamp() time.Time {
	return db.now().UTC().Truncate(time.Microsecond)
}

// PostgreSQL error codes (SQLSTATE) the store maps to its sentinels.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeNotNullViolation    = "23502"
	codeCheckViolation      = "23514"
	classDataException      = "22"
)

// mapErr wraps a constraint or data error in the store sentinel it means,
// keeping the PostgreSQL error in the chain; other errors pass unchanged.
// A foreign key failure always names a missing run.
func mapErr(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch {
	case pe.Code == codeUniqueViolation:
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	case pe.Code == codeForeignKeyViolation:
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	case pe.Code == codeNotNullViolation, pe.Code == codeCheckViolation,
		len(pe.Code) == 5 && pe.Code[:2] == classDataException:
		return fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	return err
}

// jsonArg validates a JSON payload and returns it unchanged for a JSON
// column, or nil (NULL) when it is empty.
func jsonArg(field string, raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("%w: %s is not valid JSON", store.ErrInvalid, field)
	}
	return raw, nil
}

// rawJSON turns a scanned JSON column into a payload; NULL stays nil.
func rawJSON(b []byte) json.RawMessage {
	if b == nil {
		return nil
	}
	return json.RawMessage(b)
}

// utcPtr returns t in UTC, or nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
