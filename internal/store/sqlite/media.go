package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// PutMedia implements store.Store.
func (db *DB) PutMedia(ctx context.Context, m store.Media) error {
	if m.ID == "" {
		return fmt.Errorf("sqlite: put media: %w: empty id", store.ErrInvalid)
	}
	meta, err := jsonText("meta", m.Meta)
	if err != nil {
		return fmt.Errorf("sqlite: put media %s: %w", m.ID, err)
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = db.now()
	}
	err = db.write(ctx, func(tx *sql.Tx) error {
		if _, err := runState(ctx, tx, m.RunID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO media
			(id, run_id, hash, mime, size, width, height, seed, meta, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.RunID, m.Hash, m.Mime, m.Size, m.Width, m.Height,
			strconv.FormatUint(m.Seed, 10), meta, formatTime(m.CreatedAt))
		if isUniqueViolation(err) {
			return store.ErrConflict
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: put media %s: %w", m.ID, err)
	}
	return nil
}

// GetMedia implements store.Store.
func (db *DB) GetMedia(ctx context.Context, id string) (*store.Media, error) {
	ms, err := queryMedia(ctx, db.st.mediaByID, id)
	if err == nil && len(ms) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get media %s: %w", id, err)
	}
	return &ms[0], nil
}

// queryMedia runs stmt, a media query with one argument (sqlMediaOfRun,
// sqlMediaByID).
func queryMedia(ctx context.Context, stmt *sql.Stmt, arg string) ([]store.Media, error) {
	rows, err := stmt.QueryContext(ctx, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Media
	for rows.Next() {
		var (
			m             store.Media
			seed, created string
			meta          sql.NullString
		)
		if err := rows.Scan(&m.ID, &m.RunID, &m.Hash, &m.Mime, &m.Size, &m.Width, &m.Height,
			&seed, &meta, &created); err != nil {
			return nil, err
		}
		if m.Seed, err = strconv.ParseUint(seed, 10, 64); err != nil {
			return nil, fmt.Errorf("bad stored seed %q: %w", seed, err)
		}
		m.Meta = rawJSON(meta)
		if m.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// PutUpload implements store.Store.
func (db *DB) PutUpload(ctx context.Context, u store.Upload) error {
	if u.ID == "" {
		return fmt.Errorf("sqlite: put upload: %w: empty id", store.ErrInvalid)
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = db.now()
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO uploads (id, hash, mime, size, width, height, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Hash, u.Mime, u.Size, u.Width, u.Height, formatTime(u.CreatedAt))
		if isUniqueViolation(err) {
			return store.ErrConflict
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: put upload %s: %w", u.ID, err)
	}
	return nil
}

// GetUpload implements store.Store.
func (db *DB) GetUpload(ctx context.Context, id string) (*store.Upload, error) {
	var (
		u       store.Upload
		created string
	)
	err := db.r.QueryRowContext(ctx, `SELECT id, hash, mime, size, width, height, created_at
		FROM uploads WHERE id = ?`, id).Scan(&u.ID, &u.Hash, &u.Mime, &u.Size, &u.Width, &u.Height, &created)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err == nil {
		u.CreatedAt, err = parseTime(created)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get upload %s: %w", id, err)
	}
	return &u, nil
}
