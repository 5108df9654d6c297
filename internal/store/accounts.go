package store

import (
	"context"
	"time"
)

// Roles of a teacher-side account.
const (
	// RoleAdmin may do everything a teacher may, on every workshop.
	RoleAdmin = "admin"
	// RoleTeacher runs workshops of their own.
	RoleTeacher = "teacher"
)

// ValidRole reports whether role is RoleAdmin or RoleTeacher.
func ValidRole(role string) bool { return role == RoleAdmin || role == RoleTeacher }

// Accounts keeps teacher and admin accounts and their login sessions. It is
// part of Store; every method is one transaction.
type Accounts interface {
	// CreateUser stores a new account. An empty name or password hash or an
	// unknown role is ErrInvalid; a name already taken is ErrConflict. A
	// zero CreatedAt is set to the current time.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns the account name, or ErrNotFound.
	GetUser(ctx context.Context, name string) (*User, error)
	// ListUsers returns every account, ordered by name.
	ListUsers(ctx context.Context) ([]User, error)
	// DeleteUser removes account name and all its sessions; an unknown
	// name is ErrNotFound.
	DeleteUser(ctx context.Context, name string) error
	// SetPassword replaces the password hash of account name and ends all
	// its sessions; an unknown name is ErrNotFound, an empty hash ErrInvalid.
	SetPassword(ctx context.Context, name, hash string) error
	// CreateSession stores a login session of an existing account
	// (ErrNotFound otherwise). A duplicate id is ErrConflict, an empty one
	// ErrInvalid.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns session id whatever its expiry (the caller
	// compares ExpiresAt), or ErrNotFound.
	GetSession(ctx context.Context, id string) (*Session, error)
	// DeleteSession removes session id; an unknown id is ErrNotFound.
	DeleteSession(ctx context.Context, id string) error
	// DeleteExpiredSessions removes every session that expired at or
	// before now and returns how many it removed.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
}

// User is a teacher or admin account.
type User struct {
	Name string
	// Role is RoleAdmin or RoleTeacher.
	Role string
	// PasswordHash is the encoded password hash (never the password).
	PasswordHash string
	CreatedAt    time.Time
}

// Session is a login session. ID is a digest of the secret the browser's
// cookie holds, so a copy of the database opens no session.
type Session struct {
	ID        string
	User      string
	CreatedAt time.Time
	ExpiresAt time.Time
}
