package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var embedded embed.FS

// migration is one SQL file of the schema history.
type migration = store.Migration

// loadMigrations reads and orders the migrations in fsys.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	ms, err := store.LoadMigrations(fsys)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return ms, nil
}

// sqlMigrationLock takes a transaction-level advisory lock private to the
// schema being migrated: concurrent openers of one schema queue behind it,
// openers of different schemas (tests) do not. PostgreSQL releases it at
// COMMIT or ROLLBACK.
const sqlMigrationLock = `SELECT pg_advisory_xact_lock(
	hashtextextended('ai4artsed schema_migrations ' || COALESCE(current_schema(), ''), 0))`

const sqlCreateMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`

// errSchemaTooNew reports a database migrated by a newer program.
var errSchemaTooNew = errors.New("postgres: database schema is newer than this program")

// migrate applies the migrations in fsys that the database has not seen
// yet, in order, each in its own transaction together with its
// schema_migrations row and under the advisory lock. It returns the
// versions it applied.
func migrate(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) ([]int, error) {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return nil, err
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].Version
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlMigrationLock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.Exec(ctx, sqlCreateMigrations); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var newest *int
		if err := tx.QueryRow(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&newest); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if newest != nil && *newest > latest {
			return fmt.Errorf("%w: version %d, this program knows %d", errSchemaTooNew, *newest, latest)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, errSchemaTooNew) {
			return nil, err
		}
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	var applied []int
	for _, m := range ms {
		did, err := applyMigration(ctx, pool, m)
		if err != nil {
			return applied, err
		}
		if did {
			applied = append(applied, m.Version)
		}
	}
	return applied, nil
}

// applyMigration runs m unless it is recorded as applied; the check, the
// change and the record share one transaction under the advisory lock, so
// concurrent openers apply it once.
func applyMigration(ctx context.Context, pool *pgxpool.Pool, m migration) (bool, error) {
	did := false
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlMigrationLock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`,
			m.Version).Scan(&done); err != nil {
			return err
		}
		if done {
			return nil
		}
		// Without arguments pgx uses the simple protocol, which runs a
		// file of several statements.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`,
			m.Version, m.Name); err != nil {
			return fmt.Errorf("record: %w", err)
		}
		did = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("postgres: migration %s: %w", m.Name, err)
	}
	return did, nil
}
