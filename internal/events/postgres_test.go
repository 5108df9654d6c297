package events_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/events"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/postgres"
	"github.com/ai4artsed/ai4artsed/internal/store/postgres/pgtest"
)

// schemaURL returns the test server's URL with a fresh schema
// (pgtest.SchemaURL).
func schemaURL(t *testing.T) string { return pgtest.SchemaURL(t, "ev_") }

// replica is one hub on its own store handle, relaying until the test ends.
func replica(t *testing.T, dbURL string) (*postgres.DB, *events.Hub) {
	t.Helper()
	db, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	h := events.NewHub(db, events.WithBus(db))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = h.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; _ = db.Close() })
	return db, h
}

// TestFollowAcrossReplicasOnPostgres: two hubs on two handles of one
// database are two replicas. A follower on B gets the events of a run
// executing on A as they are stored, in order, ending with done; a
// follower arriving later on B replays from its Last-Event-ID. The
// latency from A's stored event to B's follower is measured and logged
// (aim: p99 within 100 ms, docs/benchmarks.md); the test holds it to well
// under the 5 s poll, so the notes are proven to carry the events.
func TestFollowAcrossReplicasOnPostgres(t *testing.T) {
	dbURL := schemaURL(t)
	dbA, a := replica(t, dbURL)
	_, b := replica(t, dbURL)
	ctx := context.Background()
	const n = 300
	if err := dbA.CreateRun(ctx, &store.Run{ID: "r1", Owner: "a", State: store.StateRunning}); err != nil {
		t.Fatal(err)
	}
	a.Open("r1")
	if _, err := a.Publish(ctx, "r1", api.RunEvent{RunID: "r1", State: api.StateRunning}); err != nil {
		t.Fatal(err)
	}

	var (
		mu       sync.Mutex
		stored   = map[int64]time.Time{}
		received = map[int64]time.Time{}
		first    = make(chan struct{})
	)
	errc := make(chan error, 1)
	go func() {
		errc <- b.Follow(ctx, "r1", 0, events.Watcher{Event: func(e events.Event) error {
			if e.Seq == 0 {
				return nil
			}
			mu.Lock()
			received[e.Seq] = time.Now()
			mu.Unlock()
			if e.Seq == 1 {
				close(first)
			}
			return nil
		}})
	}()
	<-first
	for i := range n {
		e, err := a.Publish(ctx, "r1", api.ChunkEvent{Stage: 2, Text: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		stored[e.Seq] = time.Now()
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
	}
	if _, err := a.Publish(ctx, "r1", api.DoneEvent{State: api.StateDone}); err != nil {
		t.Fatal(err)
	}
	if err := dbA.SetRunState(ctx, "r1", store.StateDone, "", ""); err != nil {
		t.Fatal(err)
	}
	a.Close("r1")
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the follower on B did not end")
	}
	if len(received) != n+2 {
		t.Fatalf("B got %d events; want %d", len(received), n+2)
	}
	var lat []time.Duration
	for seq, at := range stored {
		lat = append(lat, max(received[seq].Sub(at), 0))
	}
	slices.Sort(lat)
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	t.Logf("cross-replica event latency over %d events: p50 %v, p99 %v, max %v", len(lat), p50, p99, lat[len(lat)-1])
	// The aim (100 ms) is a figure, reported above and in
	// docs/benchmarks.md; what this test asserts is that the notes carry
	// the events: well under the followers' 5 s poll, on any machine load.
	if p99 > 2*time.Second {
		t.Errorf("p99 latency %v; want well under the 5 s poll (2 s)", p99)
	}

	evs, err := collectAll(ctx, b, "r1", 290)
	if err != nil || len(evs) != n+2-290 || evs[0].Seq != 291 || evs[len(evs)-1].Type != "done" {
		t.Fatalf("replay on B after 290: %d events, %v", len(evs), err)
	}
}

func collectAll(ctx context.Context, h *events.Hub, runID string, after int64) ([]events.Event, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var out []events.Event
	err := h.Follow(ctx, runID, after, events.Watcher{Event: func(e events.Event) error { out = append(out, e); return nil }})
	return out, err
}

// TestWatchAndTransientAcrossReplicasOnPostgres: B's follower makes A count
// the run as watched, and A's queue ticks reach it through NOTIFY.
func TestWatchAndTransientAcrossReplicasOnPostgres(t *testing.T) {
	dbURL := schemaURL(t)
	dbA, a := replica(t, dbURL)
	_, b := replica(t, dbURL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := dbA.CreateRun(ctx, &store.Run{ID: "r1", Owner: "a", State: store.StateQueued}); err != nil {
		t.Fatal(err)
	}
	a.Open("r1")
	defer a.Close("r1")
	if _, err := a.Publish(ctx, "r1", api.QueueStatusEvent{Status: api.QueueWaiting, Position: 9}); err != nil {
		t.Fatal(err)
	}
	got := make(chan events.Event, 100)
	go func() {
		_ = b.Follow(ctx, "r1", 0, events.Watcher{Event: func(e events.Event) error { got <- e; return nil }})
	}()
	if e := <-got; e.Seq != 1 {
		t.Fatalf("first = %+v", e)
	}
	deadline := time.After(10 * time.Second)
	for pos := 8; ; pos-- {
		if err := a.PublishTransient("r1", api.QueueStatusEvent{Status: api.QueueWaiting, Position: max(pos, 1)}); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-got:
			if e.Seq != 0 || e.Type != "queue_status" {
				t.Fatalf("got %+v; want a transient queue_status", e)
			}
			if a.Unwatched("r1") != 0 {
				t.Fatal("A counts the run as unwatched while B follows it")
			}
			return
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatal("no transient event reached B")
		}
	}
}

// TestFollowerCatchesUpAfterListenerLoss kills every listening connection
// of the schema while a run on A goes on: the listeners connect again and
// B's follower reads what it missed, long before its 5 s fallback poll.
func TestFollowerCatchesUpAfterListenerLoss(t *testing.T) {
	dbURL := schemaURL(t)
	dbA, a := replica(t, dbURL)
	_, b := replica(t, dbURL)
	ctx := context.Background()
	if err := dbA.CreateRun(ctx, &store.Run{ID: "r1", Owner: "a", State: store.StateRunning}); err != nil {
		t.Fatal(err)
	}
	a.Open("r1")
	if _, err := a.Publish(ctx, "r1", api.RunEvent{RunID: "r1", State: api.StateRunning}); err != nil {
		t.Fatal(err)
	}
	got := make(chan events.Event, 100)
	errc := make(chan error, 1)
	go func() {
		errc <- b.Follow(ctx, "r1", 0, events.Watcher{Event: func(e events.Event) error { got <- e; return nil }})
	}()
	if e := <-got; e.Seq != 1 {
		t.Fatalf("first = %+v", e)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Both listeners run LISTEN in the background: wait for them.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE query = 'LISTEN "ai4artsed_' || left(md5(current_schema()), 16) || '"'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d listeners after 5 s; want 2", n)
		}
	}
	var killed int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query = 'LISTEN "ai4artsed_' || left(md5(current_schema()), 16) || '"'`).Scan(&killed); err != nil || killed != 2 {
		t.Fatalf("terminated %d listeners, %v; want 2", killed, err)
	}
	lost := time.Now()
	for i := range 5 {
		if _, err := a.Publish(ctx, "r1", api.ChunkEvent{Stage: 2, Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Publish(ctx, "r1", api.DoneEvent{State: api.StateDone}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("B's follower did not catch up within 3 s of the listener loss")
	}
	t.Logf("caught up %v after the listeners were killed", time.Since(lost))
	close(got)
	var seqs []int64
	for e := range got {
		seqs = append(seqs, e.Seq)
	}
	if !slices.Equal(seqs, []int64{2, 3, 4, 5, 6, 7}) {
		t.Fatalf("after the loss B got %v", seqs)
	}
}
