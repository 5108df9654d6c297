package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// TestRunsAhead counts a client's unfinished runs created before a run,
// whichever replica stored them: the run's turn in the shared queues.
func TestRunsAhead(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	runs := []struct {
		id, client string
		state      store.State
		at         time.Duration
	}{
		{"a1", "ana", store.StateDone, 0},
		{"a2", "ana", store.StateRunning, time.Second},
		{"a3", "ana", store.StateQueued, 2 * time.Second},
		{"b1", "ben", store.StateRunning, 0},
		{"a4", "ana", store.StateRunning, 3 * time.Second},
		{"a4b", "ana", store.StateRunning, 3 * time.Second}, // same instant: the id decides
	}
	for _, r := range runs {
		at := t0.Add(r.at)
		if err := db.CreateRun(ctx, &store.Run{ID: r.id, ClientID: r.client, State: r.state, CreatedAt: at, UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		client, id string
		at         time.Duration
		want       int
	}{
		{"ana", "a2", time.Second, 0},     // a1 is finished
		{"ana", "a3", 2 * time.Second, 1}, // a2
		{"ana", "a4", 3 * time.Second, 2}, // a2, a3
		{"ana", "a4b", 3 * time.Second, 3},
		{"ben", "b1", 0, 0},
		{"", "x", 5 * time.Second, 0}, // no client: every run is a first
	} {
		got, err := db.RunsAhead(ctx, tt.client, t0.Add(tt.at), tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("RunsAhead(%s, %s) = %d, want %d", tt.client, tt.id, got, tt.want)
		}
	}
}
