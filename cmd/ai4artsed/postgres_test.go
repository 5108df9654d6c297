package main

import (
	"context"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/postgres"
	"github.com/ai4artsed/ai4artsed/internal/store/postgres/pgtest"
)

// postgresURL gives a URL whose search_path is a fresh schema, dropped after
// the test. Without AI4ARTSED_TEST_POSTGRES_URL the test skips, except in CI.
func postgresURL(t *testing.T) string { return pgtest.SchemaURL(t, "e2e_") }

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
