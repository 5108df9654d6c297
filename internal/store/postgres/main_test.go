package postgres

import (
	"context"
	"crypto/rand"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/ai4artsed/ai4artsed/internal/store/postgres/pgtest"
)

// TestMain checks that closing a DB leaves no pool goroutines behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newSchema creates an empty schema with a random name on the test server
// and drops it when the test ends; it returns the server URL and the name.
func newSchema(tb testing.TB) (base, schema string) {
	tb.Helper()
	base = pgtest.ServerURL(tb)
	schema = "t_" + strings.ToLower(rand.Text())
	admin(tb, base, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	tb.Cleanup(func() {
		admin(tb, base, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	})
	return base, schema
}

// admin runs one statement on a connection of its own.
func admin(tb testing.TB, serverURL, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		tb.Fatalf("connect to test server: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// schemaConfig returns a pool configuration whose connections work in
// schema.
func schemaConfig(tb testing.TB, serverURL, schema string) *pgxpool.Config {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(serverURL)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	return cfg
}

// openTemp opens a store with the embedded migrations in a fresh schema and
// closes it when the test ends.
func openTemp(tb testing.TB) *DB {
	tb.Helper()
	base, schema := newSchema(tb)
	return openSchema(tb, schemaConfig(tb, base, schema), mustSub(embedded, "migrations"))
}

// openSchema opens a store for cfg with migrations and closes it when the
// test ends.
func openSchema(tb testing.TB, cfg *pgxpool.Config, migrations fs.FS) *DB {
	tb.Helper()
	db, err := open(context.Background(), cfg, migrations)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}
