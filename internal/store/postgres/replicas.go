package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

const (
	// sqlBeat renews a lease, or creates it (xmax = 0 marks an insert).
	sqlBeat = `INSERT INTO replicas (id, started_at, last_seen) VALUES ($1, now(), now())
		ON CONFLICT (id) DO UPDATE SET last_seen = now() RETURNING xmax <> 0`

	// sqlOrphans lists the unfinished runs whose owner has no lease renewed
	// within the interval $1 (in the database's clock).
	sqlOrphans = `SELECT r.id FROM runs AS r
		LEFT JOIN replicas AS p ON p.id = r.owner AND p.last_seen >= now() - $1::interval
		WHERE r.state IN ('` + string(store.StateQueued) + `', '` + string(store.StateRunning) + `')
		AND p.id IS NULL ORDER BY r.created_at, r.id`

	// sqlForgetDead removes the expired leases that own no unfinished run.
	sqlForgetDead = `DELETE FROM replicas AS p WHERE p.last_seen < now() - $1::interval
		AND NOT EXISTS (SELECT 1 FROM runs AS r WHERE r.owner = p.id AND r.state IN ('` +
		string(store.StateQueued) + `', '` + string(store.StateRunning) + `'))`

	// sqlRequestCancel flags an unfinished run; the trigger of migration
	// 0004 announces it on the channel.
	sqlRequestCancel = `UPDATE runs SET cancel_requested = TRUE WHERE id = $1 AND state IN ('` +
		string(store.StateQueued) + `', '` + string(store.StateRunning) + `')`

	sqlCancelRequests = `SELECT id FROM runs WHERE owner = $1 AND cancel_requested AND state IN ('` +
		string(store.StateQueued) + `', '` + string(store.StateRunning) + `') ORDER BY created_at, id`
)

// Beat implements store.Replicas.
func (db *DB) Beat(ctx context.Context, id string) (bool, error) {
	if id == "" {
		return false, fmt.Errorf("postgres: beat: %w: empty replica id", store.ErrInvalid)
	}
	var had bool
	err := db.lease.do(ctx, db.pool.Config().ConnConfig, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, sqlBeat, id).Scan(&had)
	})
	if err != nil {
		return false, fmt.Errorf("postgres: beat of replica %s: %w", id, mapErr(err))
	}
	return had, nil
}

// leaseConn is a connection of its own, outside the pool, for the lease's
// renewals: under load every pooled connection may be busy for seconds,
// and a renewal held up past the lease's TTL would make the others end a
// live replica's runs (docs/deploy.md, "How replicas cooperate"). It is
// opened on first use and again after a failure.
type leaseConn struct {
	mu     sync.Mutex
	conn   *pgx.Conn
	closed bool
}

// do runs fn on the connection, opening it with cfg when needed.
func (l *leaseConn) do(ctx context.Context, cfg *pgx.ConnConfig, fn func(*pgx.Conn) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("store closed")
	}
	if l.conn == nil || l.conn.IsClosed() {
		c, err := pgx.ConnectConfig(ctx, cfg.Copy())
		if err != nil {
			return err
		}
		l.conn = c
	}
	if err := fn(l.conn); err != nil {
		_ = l.conn.Close(context.Background())
		l.conn = nil
		return err
	}
	return nil
}

// close closes the connection for good.
func (l *leaseConn) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = l.conn.Close(ctx)
		l.conn = nil
	}
}

// Leave implements store.Replicas.
func (db *DB) Leave(ctx context.Context, id string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM replicas WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: leave of replica %s: %w", id, err)
	}
	return nil
}

// InterruptOrphans implements store.Replicas. Each run is ended in its own
// transaction holding the run's row lock, so two survivors sweeping at once
// end it once.
func (db *DB) InterruptOrphans(ctx context.Context, ttl time.Duration, now time.Time, end store.EndFunc) ([]string, error) {
	rows, err := db.pool.Query(ctx, sqlOrphans, ttl)
	if err != nil {
		return nil, fmt.Errorf("postgres: interrupt orphans: %w", err)
	}
	candidates, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: interrupt orphans: %w", err)
	}
	now = now.UTC()
	var done []string
	for _, id := range candidates {
		changed, err := db.interrupt(ctx, id, now, end)
		if err != nil {
			return done, fmt.Errorf("postgres: interrupt run %s: %w", id, mapErr(err))
		}
		if changed {
			done = append(done, id)
		}
	}
	if _, err := db.pool.Exec(ctx, sqlForgetDead, ttl); err != nil {
		return done, fmt.Errorf("postgres: forget dead replicas: %w", err)
	}
	return done, nil
}

// RequestCancel implements store.Replicas.
func (db *DB) RequestCancel(ctx context.Context, id string) error {
	tag, err := db.pool.Exec(ctx, sqlRequestCancel, id)
	if err != nil {
		return fmt.Errorf("postgres: request cancel of run %s: %w", id, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var state string
	err = db.pool.QueryRow(ctx, `SELECT state FROM runs WHERE id = $1`, id).Scan(&state)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("postgres: request cancel of run %s: %w", id, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("postgres: request cancel of run %s: %w", id, err)
	}
	return fmt.Errorf("postgres: request cancel of run %s: %w: run is %s", id, store.ErrConflict, state)
}

// CancelRequests implements store.Replicas.
func (db *DB) CancelRequests(ctx context.Context, owner string) ([]string, error) {
	rows, err := db.pool.Query(ctx, sqlCancelRequests, owner)
	if err != nil {
		return nil, fmt.Errorf("postgres: cancel requests of replica %s: %w", owner, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: cancel requests of replica %s: %w", owner, err)
	}
	return ids, nil
}
