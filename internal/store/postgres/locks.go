package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// sqlTryLock and sqlUnlock take and give back a session-level advisory lock
// named by a key, private to the schema in use (so two installations in one
// database, or two tests, never share one).
const (
	sqlTryLock = `SELECT pg_try_advisory_lock(hashtextextended($1 || ' ' || COALESCE(current_schema(), ''), 0))`
	sqlUnlock  = `SELECT pg_advisory_unlock(hashtextextended($1 || ' ' || COALESCE(current_schema(), ''), 0))`
)

// TryLock takes the session-level advisory lock named key without waiting:
// ok is false when another session holds it. The lock lives on one
// connection of the pool, kept out of the pool until release; PostgreSQL
// frees it when that session ends, so a server that dies (kill -9, a lost
// network) never leaves it taken. release is safe to call twice; if the
// unlock fails the connection is closed, which frees the lock too.
func (db *DB) TryLock(ctx context.Context, key string) (release func(), ok bool, err error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: lock %q: %w", key, err)
	}
	if err := conn.QueryRow(ctx, sqlTryLock, key).Scan(&ok); err != nil {
		conn.Release()
		return nil, false, fmt.Errorf("postgres: lock %q: %w", key, err)
	}
	if !ok {
		conn.Release()
		return nil, false, nil
	}
	return sync.OnceFunc(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var unlocked bool
		if err := conn.QueryRow(ctx, sqlUnlock, key).Scan(&unlocked); err != nil || !unlocked {
			_ = conn.Conn().Close(ctx) // the pool drops a closed connection
		}
		conn.Release()
	}), true, nil
}
