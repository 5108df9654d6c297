package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// sqlChannel names the notification channel of the store's schema, the
// same expression the triggers of migration 0004 use with the table's
// schema, so tests in separate schemas of one database do not hear each
// other.
const sqlChannel = `SELECT 'ai4artsed_' || left(md5(current_schema()), 16)`

// MaxPayload is the largest payload Notify sends; PostgreSQL refuses
// payloads from 8000 bytes on.
const MaxPayload = 7999

// listenCheck is how long the listener waits for a notification before it
// pings the server to find a connection that died silently.
const listenCheck = 15 * time.Second

// Notify sends the payloads, in order, to every listener of the store's
// channel, Listen in this and every other process on the database, in one
// statement that commits them together.
func (db *DB) Notify(ctx context.Context, payloads ...string) error {
	for _, p := range payloads {
		if len(p) > MaxPayload {
			return fmt.Errorf("postgres: notify: payload of %d bytes is over %d", len(p), MaxPayload)
		}
	}
	var err error
	switch len(payloads) {
	case 0:
		return nil
	case 1:
		_, err = db.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, db.channel, payloads[0])
	default:
		_, err = db.pool.Exec(ctx, `SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS n(p, i) ORDER BY i`, db.channel, payloads)
	}
	if err != nil {
		return fmt.Errorf("postgres: notify: %w", err)
	}
	return nil
}

// Listen holds one connection of its own, outside the pool, listening on
// the store's channel, and calls fn with every payload in the order
// PostgreSQL delivers them (commit order), until ctx ends. Besides what
// Notify sends, the store announces every stored event ("e <run id>
// <seq>") and every cancel request ("c <run id>"). connected is called each
// time the connection is (re)established and listening: payloads sent while
// it was down are lost, so the caller re-reads what it watches. A lost
// connection is opened again after a pause of up to 2 s. Listen returns nil
// when ctx ends.
func (db *DB) Listen(ctx context.Context, fn func(payload string), connected func()) error {
	pause := 50 * time.Millisecond
	for {
		err := db.listen(ctx, fn, func() {
			pause = 50 * time.Millisecond
			connected()
		})
		if ctx.Err() != nil {
			return nil
		}
		_ = err // the next attempt shows whether the server is back
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// listen runs one listening connection until it fails or ctx ends.
func (db *DB) listen(ctx context.Context, fn func(string), connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{db.channel}.Sanitize()); err != nil {
		return err
	}
	connected()
	for {
		wctx, cancel := context.WithTimeout(ctx, listenCheck)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			fn(n.Payload)
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			// Quiet for a while: make sure the server is still there.
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = conn.Ping(pctx)
			cancel()
			if err == nil {
				continue
			}
		}
		return err
	}
}

// PoolSize is the largest number of connections the store's pool opens;
// Listen holds one more.
func (db *DB) PoolSize() int { return int(db.pool.Config().MaxConns) }
