package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// CreateUser implements store.Store.
func (db *DB) CreateUser(ctx context.Context, u store.User) error {
	if u.Name == "" || u.PasswordHash == "" || !store.ValidRole(u.Role) {
		return fmt.Errorf("sqlite: create user %q: %w", u.Name, store.ErrInvalid)
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = db.now()
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)`,
			u.Name, u.Role, u.PasswordHash, formatTime(u.CreatedAt))
		if isUniqueViolation(err) {
			return store.ErrConflict
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create user %q: %w", u.Name, err)
	}
	return nil
}

// GetUser implements store.Store.
func (db *DB) GetUser(ctx context.Context, name string) (*store.User, error) {
	us, err := queryUsers(ctx, db.r, `WHERE name = ?`, name)
	if err == nil && len(us) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get user %q: %w", name, err)
	}
	return &us[0], nil
}

// ListUsers implements store.Store.
func (db *DB) ListUsers(ctx context.Context) ([]store.User, error) {
	us, err := queryUsers(ctx, db.r, `ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", err)
	}
	return us, nil
}

func queryUsers(ctx context.Context, q *sql.DB, tail string, args ...any) ([]store.User, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, role, password_hash, created_at FROM users `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		var (
			u       store.User
			created string
		)
		if err := rows.Scan(&u.Name, &u.Role, &u.PasswordHash, &created); err != nil {
			return nil, err
		}
		if u.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// DeleteUser implements store.Store.
func (db *DB) DeleteUser(ctx context.Context, name string) error {
	if err := db.execOne(ctx, `DELETE FROM users WHERE name = ?`, name); err != nil {
		return fmt.Errorf("sqlite: delete user %q: %w", name, err)
	}
	return nil
}

// SetPassword implements store.Store.
func (db *DB) SetPassword(ctx context.Context, name, hash string) error {
	if hash == "" {
		return fmt.Errorf("sqlite: set password of %q: %w", name, store.ErrInvalid)
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE name = ?`, hash, name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, store.ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_name = ?`, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: set password of %q: %w", name, err)
	}
	return nil
}

// CreateSession implements store.Store.
func (db *DB) CreateSession(ctx context.Context, s store.Session) error {
	if s.ID == "" {
		return fmt.Errorf("sqlite: create session: %w: empty id", store.ErrInvalid)
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = db.now()
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, user_name, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			s.ID, s.User, formatTime(s.CreatedAt), formatTime(s.ExpiresAt))
		switch {
		case isUniqueViolation(err):
			return store.ErrConflict
		case isForeignKeyViolation(err):
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create session for %q: %w", s.User, err)
	}
	return nil
}

// GetSession implements store.Store.
func (db *DB) GetSession(ctx context.Context, id string) (*store.Session, error) {
	var (
		s                store.Session
		created, expires string
	)
	err := db.r.QueryRowContext(ctx, `SELECT id, user_name, created_at, expires_at FROM sessions WHERE id = ?`, id).
		Scan(&s.ID, &s.User, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err == nil {
		s.CreatedAt, err = parseTime(created)
	}
	if err == nil {
		s.ExpiresAt, err = parseTime(expires)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get session: %w", err)
	}
	return &s, nil
}

// DeleteSession implements store.Store.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	if err := db.execOne(ctx, `DELETE FROM sessions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions implements store.Store.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, formatTime(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired sessions: %w", err)
	}
	return int(n), nil
}

// execOne runs a write that must change exactly one row; none is
// store.ErrNotFound.
func (db *DB) execOne(ctx context.Context, query string, args ...any) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = store.ErrNotFound
		}
		return err
	})
}
