package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

const (
	// sqlPutMedia inserts a media item. The seed travels as decimal text,
	// which holds the whole uint64 range on the way in and out.
	sqlPutMedia = `INSERT INTO media
		(id, run_id, hash, mime, size, width, height, seed, meta, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, CAST($8::text AS NUMERIC), $9, $10)`

	sqlMediaColumns = `SELECT id, run_id, hash, mime, size, width, height, seed::text, meta, created_at FROM media `
	sqlMediaOfRun   = sqlMediaColumns + `WHERE run_id = $1 ORDER BY created_at, id`
	sqlMediaByID    = sqlMediaColumns + `WHERE id = $1`

	sqlPutUpload = `INSERT INTO uploads (id, hash, mime, size, width, height, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`

	sqlGetUpload = `SELECT id, hash, mime, size, width, height, created_at FROM uploads WHERE id = $1`
)

// PutMedia implements store.Store.
func (db *DB) PutMedia(ctx context.Context, m store.Media) error {
	if m.ID == "" {
		return fmt.Errorf("postgres: put media: %w: empty id", store.ErrInvalid)
	}
	meta, err := jsonArg("meta", m.Meta)
	if err != nil {
		return fmt.Errorf("postgres: put media %s: %w", m.ID, err)
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = db.stamp()
	}
	// One statement: the foreign key reports a missing run, the primary key
	// a duplicate id.
	_, err = db.pool.Exec(ctx, sqlPutMedia, m.ID, m.RunID, m.Hash, m.Mime, m.Size, m.Width, m.Height,
		strconv.FormatUint(m.Seed, 10), meta, m.CreatedAt)
	if err != nil {
		return fmt.Errorf("postgres: put media %s: %w", m.ID, mapErr(err))
	}
	return nil
}

// GetMedia implements store.Store.
func (db *DB) GetMedia(ctx context.Context, id string) (*store.Media, error) {
	ms, err := scanMedia(db.pool.Query(ctx, sqlMediaByID, id))
	if err == nil && len(ms) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get media %s: %w", id, err)
	}
	return &ms[0], nil
}

// scanMedia reads the rows of a sqlMediaColumns query and closes them.
func scanMedia(rows pgx.Rows, err error) ([]store.Media, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Media
	for rows.Next() {
		var (
			m    store.Media
			seed string
			meta []byte
		)
		if err := rows.Scan(&m.ID, &m.RunID, &m.Hash, &m.Mime, &m.Size, &m.Width, &m.Height,
			&seed, &meta, &m.CreatedAt); err != nil {
			return nil, err
		}
		if m.Seed, err = strconv.ParseUint(seed, 10, 64); err != nil {
			return nil, fmt.Errorf("bad stored seed %q: %w", seed, err)
		}
		m.Meta = rawJSON(meta)
		m.CreatedAt = m.CreatedAt.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// PutUpload implements store.Store.
func (db *DB) PutUpload(ctx context.Context, u store.Upload) error {
	if u.ID == "" {
		return fmt.Errorf("postgres: put upload: %w: empty id", store.ErrInvalid)
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = db.stamp()
	}
	_, err := db.pool.Exec(ctx, sqlPutUpload, u.ID, u.Hash, u.Mime, u.Size, u.Width, u.Height, u.CreatedAt)
	if err != nil {
		return fmt.Errorf("postgres: put upload %s: %w", u.ID, mapErr(err))
	}
	return nil
}

// GetUpload implements store.Store.
func (db *DB) GetUpload(ctx context.Context, id string) (*store.Upload, error) {
	var u store.Upload
	err := db.pool.QueryRow(ctx, sqlGetUpload, id).Scan(&u.ID, &u.Hash, &u.Mime, &u.Size, &u.Width, &u.Height, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get upload %s: %w", id, err)
	}
	u.CreatedAt = u.CreatedAt.UTC()
	return &u, nil
}
