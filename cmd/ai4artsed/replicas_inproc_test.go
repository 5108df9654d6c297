package main

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
)

// twoReplicas starts two servers on one PostgreSQL schema, each with its
// own data dir and simulators, as replicas A and B.
func twoReplicas(t *testing.T, sim SimSettings) (dbURL string, a, b *testEnv) {
	t.Helper()
	dbURL = postgresURL(t)
	opts := envOptions{sim: sim, mutate: func(s *Settings) { s.DatabaseURL = dbURL }}
	a, b = newEnv(t, opts), newEnv(t, opts)
	if a.App.Replica == "" || b.App.Replica == "" || a.App.Replica == b.App.Replica {
		t.Fatalf("replica ids %q and %q", a.App.Replica, b.App.Replica)
	}
	return dbURL, a, b
}

// TestReplicasFollowAcross: a run started on A is followed live on B from
// its start, and again on B after a reconnect with Last-Event-ID; B sees
// exactly what A stores.
func TestReplicasFollowAcross(t *testing.T) {
	_, a, b := twoReplicas(t, SimSettings{TokenDelay: 5 * time.Millisecond})
	id := a.startRun(t, api.RunRequest{Stages: "interception", Prompt: "ein Schiff aus Papier", Interception: "renaissance"})
	onB := b.collect(t, id)
	if last := onB[len(onB)-1]; last.Type != "done" || last.Data["state"] != "done" {
		t.Fatalf("on B the run ended %s %v", last.Type, last.Data)
	}
	onA := a.collect(t, id)
	var stored []sseEvent
	for _, e := range onB {
		if e.ID > 0 {
			stored = append(stored, e)
		}
	}
	if len(stored) != len(onA) {
		t.Fatalf("B got %d stored events, A has %d", len(stored), len(onA))
	}
	for i := range onA {
		if stored[i].ID != onA[i].ID || stored[i].Raw != onA[i].Raw {
			t.Fatalf("event %d: B %d %s, A %d %s", i, stored[i].ID, stored[i].Raw, onA[i].ID, onA[i].Raw)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	replay, err := b.follow(ctx, id, 3, nil)
	if err != nil || len(replay) != len(onA)-3 || replay[0].Raw != onA[3].Raw {
		t.Fatalf("replay on B after 3: %d events, %v", len(replay), err)
	}
	if r := getRun(t, b, id); r["state"] != "done" {
		t.Fatalf("run on B = %v", r["state"])
	}
}

// TestReplicasCancelAcross: a cancel sent to B stops the run executing on
// A; B answers as a single server does: 202, then 409 once it ended, 404
// for an unknown run.
func TestReplicasCancelAcross(t *testing.T) {
	_, a, b := twoReplicas(t, SimSettings{TokenDelay: 100 * time.Millisecond})
	id := a.startRun(t, api.RunRequest{Stages: "interception", Prompt: "a cat made of clouds", Interception: "overdrive", Lang: "en"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var cancelledAt time.Time
	evs, err := b.follow(ctx, id, 0, func(e sseEvent) {
		if e.Type == "chunk" && cancelledAt.IsZero() {
			cancelledAt = time.Now()
			if code := b.cancel(t, id); code != http.StatusAccepted {
				t.Errorf("cancel on B = %d", code)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Type != "done" || last.Data["state"] != "cancelled" {
		t.Fatalf("run ended %s %v", last.Type, last.Data)
	}
	took := last.At.Sub(cancelledAt)
	t.Logf("cancel through B: the run on A ended %v later", took)
	if took > 2*time.Second {
		t.Errorf("the run ended %v after the cancel; want promptly", took)
	}
	if code := b.cancel(t, id); code != http.StatusConflict {
		t.Errorf("second cancel on B = %d; want 409", code)
	}
	if code := b.cancel(t, "no-such-run"); code != http.StatusNotFound {
		t.Errorf("cancel of an unknown run on B = %d; want 404", code)
	}
	if a.App.Pipeline.Active() != 0 {
		t.Errorf("A still executes %d runs", a.App.Pipeline.Active())
	}
}

// TestReplicaDeathInterruptsItsRuns: replica A executes two runs and stops
// renewing its lease without any cleanup, as a killed process would. A
// replica joining meanwhile leaves A's runs alone while A lives; after A's
// death B marks them interrupted, with error and done in each run's
// language, within 15 s, and the streams following them on B end.
func TestReplicaDeathInterruptsItsRuns(t *testing.T) {
	// Each token takes 2 s: the runs outlive the test.
	dbURL, a, b := twoReplicas(t, SimSettings{TokenDelay: 2 * time.Second})
	ids := map[string]string{}
	for _, lang := range []string{"de", "en"} {
		ids[lang] = a.startRun(t, api.RunRequest{Stages: "interception", Prompt: "ein langsamer Turm", Interception: "renaissance", Lang: lang})
	}
	type result struct {
		lang string
		evs  []sseEvent
		err  error
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	results := make(chan result, len(ids))
	started := make(chan struct{}, len(ids))
	for lang, id := range ids {
		go func() {
			first := true
			evs, err := b.follow(ctx, id, 0, func(e sseEvent) {
				if e.Type == "stage" && first {
					first = false
					started <- struct{}{}
				}
			})
			results <- result{lang, evs, err}
		}()
	}
	for range ids {
		<-started
	}
	// A third replica joining while A lives must not touch A's runs.
	c := newEnv(t, envOptions{mutate: func(s *Settings) { s.DatabaseURL = dbURL }})
	for _, id := range ids {
		if r := getRun(t, c, id); r["state"] != "running" {
			t.Fatalf("after C joined, A's run is %v", r["state"])
		}
	}
	died := time.Now()
	a.App.stopLease()
	for range ids {
		res := <-results
		if res.err != nil {
			t.Fatalf("follow on B: %v", res.err)
		}
		n := len(res.evs)
		if n < 2 || res.evs[n-2].Type != "error" || res.evs[n-2].Data["code"] != "interrupted" ||
			res.evs[n-1].Type != "done" || res.evs[n-1].Data["state"] != "interrupted" {
			t.Fatalf("%s run ended with %v", res.lang, types(res.evs[max(n-2, 0):]))
		}
		detected := res.evs[n-1].At.Sub(died)
		t.Logf("dead replica detected: the %s run's stream on B ended %v after A stopped its lease", res.lang, detected)
		if detected > 15*time.Second {
			t.Errorf("detected after %v; want within 15 s", detected)
		}
		want := fault.Describe(fault.ErrInterrupted, res.lang).Message
		if msg := res.evs[n-2].Data["message"]; msg != want {
			t.Errorf("%s run: message %q; want %q", res.lang, msg, want)
		}
		if r := getRun(t, b, ids[res.lang]); r["state"] != "interrupted" {
			t.Errorf("%s run is %v", res.lang, r["state"])
		}
	}
	if fault.Describe(fault.ErrInterrupted, "de").Message == fault.Describe(fault.ErrInterrupted, "en").Message {
		t.Error("the interrupted message is the same in de and en")
	}
	t.Logf("PostgreSQL connections of 3 replicas: %d (each: a pool of at most %d + 1 listener)",
		connections(t, dbURL), b.App.Store.(sharedStore).PoolSize())
}

func getRun(t *testing.T, e *testEnv, id string) map[string]any {
	t.Helper()
	code, r := getJSON(t, e.Server.URL+"/api/runs/"+id)
	if code != http.StatusOK {
		t.Fatalf("GET run %s on a replica: %d", id, code)
	}
	return r
}

// connections counts the connections to the test database, but the one
// asking.
func connections(t *testing.T, dbURL string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = current_database()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReplicasQueueTicksAcross: a run waiting for A's only LLM slot is
// followed on B; the queue_status ticks A publishes every second without
// storing them reach B's follower (docs/deploy.md, "How replicas
// cooperate"), the first within 1.5 s, then never more than 1.5 s apart,
// and its position never rises.
func TestReplicasQueueTicksAcross(t *testing.T) {
	dbURL := postgresURL(t)
	// Each token takes 2 s: the first run holds the slot for the test.
	a := newEnv(t, envOptions{sim: SimSettings{TokenDelay: 2 * time.Second}, mutate: func(s *Settings) { s.DatabaseURL = dbURL; s.LLMSlots = 1 }})
	b := newEnv(t, envOptions{mutate: func(s *Settings) { s.DatabaseURL = dbURL }})
	holder, err := a.startRunAs(t, "holder", interceptionBody("a slow glacier"))
	if err != nil {
		t.Fatal(err)
	}
	a.waitQueued(t, 1)
	waiter, err := a.startRunAs(t, "waiter", interceptionBody("a patient heron"))
	if err != nil {
		t.Fatal(err)
	}
	a.waitQueued(t, 2)
	defer func() {
		for _, id := range []string{waiter, holder} {
			a.cancel(t, id)
		}
	}()
	const watch = 5 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), watch)
	defer cancel()
	start := time.Now()
	var ticks []sseEvent
	_, err = b.follow(ctx, waiter, 0, func(e sseEvent) {
		if e.ID == 0 && e.Type == "queue_status" && e.Data["status"] == "waiting" {
			ticks = append(ticks, e)
		}
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("following the waiting run on B for %v: %v", watch, err)
	}
	if len(ticks) < 3 {
		t.Fatalf("B got %d queue_status ticks in %v; want one a second", len(ticks), watch)
	}
	prev, gaps := start, []time.Duration{}
	for i, e := range ticks {
		gap := e.At.Sub(prev)
		if gap > 1500*time.Millisecond {
			t.Errorf("tick %d came %v after the previous (or the follow's start)", i, gap)
		}
		if i > 0 {
			gaps = append(gaps, gap)
			if e.Data["position"].(float64) > ticks[i-1].Data["position"].(float64) {
				t.Errorf("tick %d: position rose from %v to %v", i, ticks[i-1].Data["position"], e.Data["position"])
			}
		}
		prev = e.At
	}
	if gap := time.Since(prev); gap > 1500*time.Millisecond {
		t.Errorf("no tick in the last %v", gap)
	}
	t.Logf("B got %d ticks of the run waiting on A in %v, gaps %v", len(ticks), watch, gaps)
}
