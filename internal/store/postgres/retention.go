package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// DeleteOlderThan implements store.Store.
func (db *DB) DeleteOlderThan(ctx context.Context, before time.Time) ([]store.File, error) {
	var orphans []store.File
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		runs := `SELECT id FROM runs WHERE created_at < $1 AND state IN ` + store.FinalStatesSQL
		candidates, err := collectFiles(ctx, tx, `SELECT hash, mime FROM media WHERE run_id IN (`+runs+`)
			UNION SELECT hash, mime FROM uploads WHERE created_at < $1`, before)
		if err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM runs WHERE created_at < $1 AND state IN ` + store.FinalStatesSQL,
			`DELETE FROM uploads WHERE created_at < $1`, `DELETE FROM devices WHERE created_at < $1`} {
			if _, err := tx.Exec(ctx, q, before); err != nil {
				return err
			}
		}
		orphans, err = unreferenced(ctx, tx, candidates)
		if err != nil {
			return err
		}
		return deleteOrphanBlobs(ctx, tx, orphans)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: delete older than %s: %w", before, err)
	}
	return orphans, nil
}

// DeleteWorkshopData implements store.Store.
func (db *DB) DeleteWorkshopData(ctx context.Context, id string) ([]store.File, error) {
	var orphans []store.File
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM workshops WHERE id = $1 FOR UPDATE`, id).Scan(&one); errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		} else if err != nil {
			return err
		}
		runs := `SELECT id FROM runs WHERE state IN ` + store.FinalStatesSQL +
			` AND client_id IN (SELECT 'd:' || id FROM devices WHERE workshop_id = $1)`
		candidates, err := collectFiles(ctx, tx, `SELECT hash, mime FROM media WHERE run_id IN (`+runs+`)`, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM runs WHERE id IN (`+runs+`)`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM devices WHERE workshop_id = $1`, id); err != nil {
			return err
		}
		orphans, err = unreferenced(ctx, tx, candidates)
		if err != nil {
			return err
		}
		return deleteOrphanBlobs(ctx, tx, orphans)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: delete data of workshop %q: %w", id, err)
	}
	return orphans, nil
}

func collectFiles(ctx context.Context, tx pgx.Tx, query string, args ...any) ([]store.File, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.File
	for rows.Next() {
		var f store.File
		if err := rows.Scan(&f.Hash, &f.Mime); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// unreferenced keeps the files of fs that no media or upload row names.
func unreferenced(ctx context.Context, tx pgx.Tx, fs []store.File) ([]store.File, error) {
	var out []store.File
	seen := map[store.File]bool{}
	for _, f := range fs {
		if seen[f] {
			continue
		}
		seen[f] = true
		var n int
		if err := tx.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM media WHERE hash = $1 AND mime = $2)
			+ (SELECT COUNT(*) FROM uploads WHERE hash = $1 AND mime = $2)`, f.Hash, f.Mime).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			out = append(out, f)
		}
	}
	return out, nil
}

// deleteOrphanBlobs deletes the media_blobs rows of fs (media kept in the
// database) in the transaction that deleted their last rows, so deleted
// rows and deleted bytes commit together (docs/privacy.md). With media in
// a directory the table is empty and this deletes nothing.
func deleteOrphanBlobs(ctx context.Context, tx pgx.Tx, fs []store.File) error {
	if len(fs) == 0 {
		return nil
	}
	hashes := make([]string, len(fs))
	for i, f := range fs {
		hashes[i] = f.Hash
	}
	_, err := tx.Exec(ctx, sqlDeleteOrphanBlobs, hashes)
	return err
}
