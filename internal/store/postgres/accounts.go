package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// CreateUser implements store.Store.
func (db *DB) CreateUser(ctx context.Context, u store.User) error {
	if u.Name == "" || u.PasswordHash == "" || !store.ValidRole(u.Role) {
		return fmt.Errorf("postgres: create user %q: %w", u.Name, store.ErrInvalid)
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = db.stamp()
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4)`,
		u.Name, u.Role, u.PasswordHash, u.CreatedAt)
	if err != nil {
		return fmt.Errorf("postgres: create user %q: %w", u.Name, mapErr(err))
	}
	return nil
}

// GetUser implements store.Store.
func (db *DB) GetUser(ctx context.Context, name string) (*store.User, error) {
	us, err := db.queryUsers(ctx, `WHERE name = $1`, name)
	if err == nil && len(us) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get user %q: %w", name, err)
	}
	return &us[0], nil
}

// ListUsers implements store.Store.
func (db *DB) ListUsers(ctx context.Context) ([]store.User, error) {
	us, err := db.queryUsers(ctx, `ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", err)
	}
	return us, nil
}

func (db *DB) queryUsers(ctx context.Context, tail string, args ...any) ([]store.User, error) {
	rows, err := db.pool.Query(ctx, `SELECT name, role, password_hash, created_at FROM users `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		var u store.User
		if err := rows.Scan(&u.Name, &u.Role, &u.PasswordHash, &u.CreatedAt); err != nil {
			return nil, err
		}
		u.CreatedAt = u.CreatedAt.UTC()
		out = append(out, u)
	}
	return out, rows.Err()
}

// DeleteUser implements store.Store; the sessions go by ON DELETE CASCADE.
func (db *DB) DeleteUser(ctx context.Context, name string) error {
	if err := db.execOne(ctx, `DELETE FROM users WHERE name = $1`, name); err != nil {
		return fmt.Errorf("postgres: delete user %q: %w", name, err)
	}
	return nil
}

// SetPassword implements store.Store.
func (db *DB) SetPassword(ctx context.Context, name, hash string) error {
	if hash == "" {
		return fmt.Errorf("postgres: set password of %q: %w", name, store.ErrInvalid)
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $1 WHERE name = $2`, hash, name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE user_name = $1`, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: set password of %q: %w", name, mapErr(err))
	}
	return nil
}

// CreateSession implements store.Store.
func (db *DB) CreateSession(ctx context.Context, s store.Session) error {
	if s.ID == "" {
		return fmt.Errorf("postgres: create session: %w: empty id", store.ErrInvalid)
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = db.stamp()
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO sessions (id, user_name, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		s.ID, s.User, s.CreatedAt, s.ExpiresAt)
	if err != nil {
		return fmt.Errorf("postgres: create session for %q: %w", s.User, mapErr(err))
	}
	return nil
}

// GetSession implements store.Store.
func (db *DB) GetSession(ctx context.Context, id string) (*store.Session, error) {
	var s store.Session
	err := db.pool.QueryRow(ctx, `SELECT id, user_name, created_at, expires_at FROM sessions WHERE id = $1`, id).
		Scan(&s.ID, &s.User, &s.CreatedAt, &s.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get session: %w", err)
	}
	s.CreatedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.ExpiresAt.UTC()
	return &s, nil
}

// DeleteSession implements store.Store.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	if err := db.execOne(ctx, `DELETE FROM sessions WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions implements store.Store.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// execOne runs a statement that must change exactly one row; none is
// store.ErrNotFound.
func (db *DB) execOne(ctx context.Context, query string, args ...any) error {
	tag, err := db.pool.Exec(ctx, query, args...)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}
