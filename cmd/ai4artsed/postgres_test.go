package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/postgres"
)

// postgresURL gives a URL whose search_path is a fresh schema, dropped after
// the test. Without AI4ARTSED_TEST_POSTGRES_URL the test skips, except in CI.
func postgresURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("AI4ARTSED_TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("AI4ARTSED_TEST_POSTGRES_URL is not set in CI; .ci/run starts PostgreSQL")
		}
		t.Skip("AI4ARTSED_TEST_POSTGRES_URL not set: run `eval \"$(bash .ci/postgres.sh)\"` first")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "e2e_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestRunsOnPostgres(t *testing.T) {
	dbURL := postgresURL(t)
	ctx := context.Background()

	// A run left running by a killed server is interrupted at the next start.
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := db.CreateRun(ctx, &store.Run{ID: "bbb1", Stages: "interception", Lang: "de", Input: []byte(`{}`), State: store.StateRunning, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	env := newEnv(t, envOptions{mutate: func(s *Settings) { s.DatabaseURL = dbURL }})
	if code, run := getJSON(t, env.Server.URL+"/api/runs/bbb1"); code != 200 || run["state"] != "interrupted" {
		t.Fatalf("left-over run: %d %v", code, run["state"])
	}
	id := env.startRun(t, api.RunRequest{Stages: "interception", Prompt: "ein Schiff aus Papier", Interception: "renaissance"})
	all := env.collect(t, id)
	if last := all[len(all)-1]; last.Data["state"] != "done" {
		t.Fatalf("run ended %v", last.Data)
	}
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	replay, err := env.follow(ctx2, id, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(replay) != len(all)-2 || replay[0].Raw != all[2].Raw {
		t.Fatalf("replay after 2 from PostgreSQL: %d events, want %d", len(replay), len(all)-2)
	}
}
