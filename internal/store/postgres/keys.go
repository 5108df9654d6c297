package postgres

import (
	"context"
	"fmt"
)

// SharedKey returns the secret called name that every server on the
// database shares: the first caller's candidate is stored, every later
// caller gets that one back, whatever its own candidate. Candidates shorter
// than 32 bytes are refused.
func (db *DB) SharedKey(ctx context.Context, name string, candidate []byte) ([]byte, error) {
	if len(candidate) < 32 {
		return nil, fmt.Errorf("postgres: shared key %q: candidate of %d bytes, want 32 or more", name, len(candidate))
	}
	// Two statements: after the insert returns, the row is there, ours or
	// a concurrent server's (the insert waited for its commit), and the
	// select's fresh snapshot sees it.
	if _, err := db.pool.Exec(ctx, `INSERT INTO server_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
		name, candidate); err != nil {
		return nil, fmt.Errorf("postgres: shared key %q: %w", name, mapErr(err))
	}
	var key []byte
	if err := db.pool.QueryRow(ctx, `SELECT key FROM server_keys WHERE name = $1`, name).Scan(&key); err != nil {
		return nil, fmt.Errorf("postgres: shared key %q: %w", name, err)
	}
	return key, nil
}
