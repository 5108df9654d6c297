// Package pgtest gives tests outside internal/store/postgres a throwaway
// schema on the test PostgreSQL server (AI4ARTSED_TEST_POSTGRES_URL, which
// .ci/run starts).
package pgtest

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable holding the test server's URL.
const EnvURL = "AI4ARTSED_TEST_POSTGRES_URL"

// ServerURL returns the test server's URL. Without one the test is
// skipped, except in CI (CI=true), where a missing server is a failure.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set: CI must run the PostgreSQL tests", EnvURL)
		}
		tb.Skipf("%s is not set: skipping the PostgreSQL tests (set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", EnvURL)
	}
	return u
}

// WithSearchPath returns serverURL with search_path set to schema.
func WithSearchPath(tb testing.TB, serverURL, schema string) string {
	tb.Helper()
	u, err := url.Parse(serverURL)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// SchemaURL returns the test server's URL with a fresh schema, named with
// prefix, on its search_path; the schema is dropped when the test ends.
// Without the server the test is skipped, except in CI (CI=true), where
// that is a failure.
func SchemaURL(tb testing.TB, prefix string) string {
	tb.Helper()
	base := ServerURL(tb)
	schema := prefix + strings.ToLower(rand.Text())
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
		_ = conn.Close(context.Background())
	})
	return WithSearchPath(tb, base, schema)
}
