package postgres

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// TestInterruptWaitsForInFlightAppend holds an event insert uncommitted
// while InterruptUnfinished runs: the interrupt must wait for it and give
// its done event the sequence number after it, not collide with it.
func TestInterruptWaitsForInFlightAppend(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	if err := db.CreateRun(ctx, &store.Run{ID: "r1", State: store.StateRunning}); err != nil {
		t.Fatal(err)
	}
	if err := db.AppendEvent(ctx, store.Event{RunID: "r1", Seq: 1, Type: "chunk", Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}

	tx, err := db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var writerPID int32
	if err := tx.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&writerPID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, sqlAppendEvent, "r1", 2, "chunk", []byte(`{"late":true}`), time.Now()); err != nil {
		t.Fatal(err)
	}

	type result struct {
		ids []string
		err error
	}
	got := make(chan result, 1)
	go func() {
		ids, err := db.InterruptUnfinished(ctx, time.Now(), func(r store.Run, now time.Time) store.Ending {
			return store.Ending{Code: "interrupted", Events: []store.Event{{Type: "done", Data: []byte(`{"state":"interrupted","ms":0}`)}}}
		})
		got <- result{ids, err}
	}()

	// Wait until the interrupt is blocked behind the open insert.
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for blocked := false; !blocked; {
		select {
		case res := <-got:
			t.Fatalf("InterruptUnfinished did not wait for the open insert: %v, %v", res.ids, res.err)
		case <-deadline:
			t.Fatal("InterruptUnfinished never blocked on the open insert")
		case <-tick.C:
			if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
				WHERE $1::int = ANY (pg_blocking_pids(pid)))`, writerPID).Scan(&blocked); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	select {
	case res := <-got:
		if res.err != nil || !slices.Equal(res.ids, []string{"r1"}) {
			t.Fatalf("InterruptUnfinished = %v, %v; want [r1]", res.ids, res.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("InterruptUnfinished still blocked after the insert committed")
	}
	evs, err := db.Events(ctx, "r1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[1].Type != "chunk" || evs[2].Seq != 3 || evs[2].Type != "done" {
		t.Errorf("events = %+v; want chunk 1, chunk 2, done 3", evs)
	}
}
