package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"io/fs"
	"time"
)

//go:embed migrations/*.sql
var embedded embed.FS

// migration is one SQL file of the schema history.
type migration = store.Migration

// loadMigrations reads and orders the migrations in fsys.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	ms, err := store.LoadMigrations(fsys)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return ms, nil
}

// migrate applies the migrations in fsys that db has not seen yet, in order,
// each in its own transaction together with its schema_migrations row. It
// returns the versions it applied.
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS) ([]int, error) {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	) STRICT`); err != nil {
		return nil, fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	var newest sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return nil, fmt.Errorf("sqlite: read schema version: %w", err)
	}
	if len(ms) > 0 && newest.Valid && newest.Int64 > int64(ms[len(ms)-1].Version) {
		return nil, fmt.Errorf("sqlite: database schema version %d is newer than this program's %d",
			newest.Int64, ms[len(ms)-1].Version)
	}
	var applied []int
	for _, m := range ms {
		did, err := applyMigration(ctx, db, m)
		if err != nil {
			return applied, err
		}
		if did {
			applied = append(applied, m.Version)
		}
	}
	return applied, nil
}

// applyMigration runs m unless it is recorded as applied; the check and the
// change share one write transaction, so concurrent openers apply it once.
func applyMigration(ctx context.Context, db *sql.DB, m migration) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: migration %s: begin: %w", m.Name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return false, fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, formatTime(time.Now())); err != nil {
		return false, fmt.Errorf("sqlite: migration %s: record: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: migration %s: commit: %w", m.Name, err)
	}
	return true, nil
}
