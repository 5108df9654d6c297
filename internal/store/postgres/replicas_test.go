package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

func ending(r store.Run, now time.Time) store.Ending {
	return store.Ending{Code: "interrupted", Message: "lang " + r.Lang, Events: []store.Event{
		{Type: "error", Data: []byte(`{"code":"interrupted"}`)},
		{Type: "done", Data: []byte(`{"state":"interrupted","ms":0}`)},
	}}
}

// TestLeasesAndOrphans: runs of a replica whose lease ran out, of one that
// never had a lease and of none are interrupted; those of a live replica
// are left alone; the dead lease is removed and its holder learns it.
func TestLeasesAndOrphans(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		had, err := db.Beat(ctx, id)
		if err != nil || had {
			t.Fatalf("first Beat(%s) = %v, %v; want false", id, had, err)
		}
	}
	for _, r := range []store.Run{
		{ID: "ra", Owner: "a", Lang: "en", State: store.StateRunning},
		{ID: "rb", Owner: "b", Lang: "de", State: store.StateRunning},
		{ID: "rb-done", Owner: "b", State: store.StateDone},
		{ID: "rq", Owner: "b", State: store.StateQueued},
		{ID: "rx", Owner: "ghost", Lang: "de", State: store.StateQueued},
		{ID: "r0", Owner: "", State: store.StateRunning},
	} {
		if err := db.CreateRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AppendEvent(ctx, store.Event{RunID: "rb", Seq: 1, Type: "run", Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if had, err := db.Beat(ctx, "a"); err != nil || !had {
		t.Fatalf("Beat(a) = %v, %v; want true", had, err)
	}
	got, err := db.InterruptOrphans(ctx, 200*time.Millisecond, time.Now(), ending)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []string{"r0", "rb", "rq", "rx"}; !slices.Equal(got, want) {
		t.Fatalf("InterruptOrphans = %v; want %v", got, want)
	}
	r, _ := db.GetRun(ctx, "rb")
	if r.State != store.StateInterrupted || r.ErrorMessage != "lang de" {
		t.Errorf("rb = %s %q", r.State, r.ErrorMessage)
	}
	evs, _ := db.Events(ctx, "rb", 0)
	if len(evs) != 3 || evs[1].Seq != 2 || evs[1].Type != "error" || evs[2].Type != "done" {
		t.Errorf("rb events = %+v", evs)
	}
	if r, _ := db.GetRun(ctx, "ra"); r.State != store.StateRunning {
		t.Errorf("run of the live replica is %s", r.State)
	}
	// b's lease is gone with its runs: its next beat says so.
	if had, err := db.Beat(ctx, "b"); err != nil || had {
		t.Errorf("Beat(b) after being declared dead = %v, %v; want false", had, err)
	}
	if err := db.Leave(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got, err := db.InterruptOrphans(ctx, time.Minute, time.Now(), ending); err != nil || !slices.Equal(got, []string{"ra"}) {
		t.Errorf("after a left: InterruptOrphans = %v, %v; want [ra]", got, err)
	}
}

func TestRequestCancel(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	for _, r := range []store.Run{
		{ID: "r1", Owner: "a", State: store.StateRunning},
		{ID: "r2", Owner: "a", State: store.StateQueued},
		{ID: "r3", Owner: "b", State: store.StateRunning},
		{ID: "fin", Owner: "a", State: store.StateDone},
	} {
		if err := db.CreateRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		id   string
		want error
	}{{"r1", nil}, {"r1", nil}, {"r3", nil}, {"fin", store.ErrConflict}, {"nope", store.ErrNotFound}} {
		if err := db.RequestCancel(ctx, tc.id); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("RequestCancel(%s) = %v; want %v", tc.id, err, tc.want)
		}
	}
	if got, err := db.CancelRequests(ctx, "a"); err != nil || !slices.Equal(got, []string{"r1"}) {
		t.Errorf("CancelRequests(a) = %v, %v; want [r1]", got, err)
	}
	if err := db.SetRunState(ctx, "r1", store.StateCancelled, "cancelled", ""); err != nil {
		t.Fatal(err)
	}
	if got, err := db.CancelRequests(ctx, "a"); err != nil || len(got) != 0 {
		t.Errorf("CancelRequests(a) after the run ended = %v, %v; want none", got, err)
	}
}

// payloads collects what Listen hears.
type payloads struct {
	mu   sync.Mutex
	got  []string
	more chan struct{}
	conn chan struct{}
}

func listenTo(t *testing.T, db *DB) (*payloads, func()) {
	t.Helper()
	p := &payloads{more: make(chan struct{}, 1000), conn: make(chan struct{}, 10)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- db.Listen(ctx, func(s string) {
			p.mu.Lock()
			p.got = append(p.got, s)
			p.mu.Unlock()
			p.more <- struct{}{}
		}, func() { p.conn <- struct{}{} })
	}()
	select {
	case <-p.conn:
	case <-time.After(10 * time.Second):
		t.Fatal("Listen never connected")
	}
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Listen = %v", err)
		}
	}
	t.Cleanup(stop)
	return p, stop
}

// waitFor waits until the payloads heard include every one of want, in order.
func (p *payloads) waitFor(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		p.mu.Lock()
		got := slices.Clone(p.got)
		p.mu.Unlock()
		i := 0
		for _, g := range got {
			if i < len(want) && g == want[i] {
				i++
			}
		}
		if i == len(want) {
			return
		}
		select {
		case <-p.more:
		case <-deadline:
			t.Fatalf("heard %q; want %q in order", got, want)
		}
	}
}

// TestListenHearsEventsCancelsAndNotify: the store announces stored events
// and cancel requests, Notify reaches the listener of another handle on the
// same schema and not one on another schema.
func TestListenHearsEventsCancelsAndNotify(t *testing.T) {
	base, schema := newSchema(t)
	a := openSchema(t, schemaConfig(t, base, schema), mustSub(embedded, "migrations"))
	b := openSchema(t, schemaConfig(t, base, schema), mustSub(embedded, "migrations"))
	other := openTemp(t)
	pb, _ := listenTo(t, b)
	po, _ := listenTo(t, other)
	ctx := context.Background()
	if err := a.CreateRun(ctx, &store.Run{ID: "r1", State: store.StateRunning}); err != nil {
		t.Fatal(err)
	}
	if err := a.AppendEvent(ctx, store.Event{RunID: "r1", Seq: 1, Type: "run", Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := a.RequestCancel(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	if err := a.Notify(ctx, "t r1 hello"); err != nil {
		t.Fatal(err)
	}
	if err := a.Notify(ctx, strings.Repeat("x", MaxPayload+1)); err == nil {
		t.Error("Notify of a payload over MaxPayload did not fail")
	}
	// Several payloads in one statement arrive in the order given.
	if err := a.Notify(ctx, "w r3", "w r1", strings.Repeat("y", MaxPayload), "w r2"); err != nil {
		t.Fatal(err)
	}
	if err := a.Notify(ctx, "w ok", strings.Repeat("x", MaxPayload+1)); err == nil {
		t.Error("Notify with a payload over MaxPayload did not fail")
	}
	pb.waitFor(t, "e r1 1", "c r1", "t r1 hello", "w r3", "w r1", strings.Repeat("y", MaxPayload), "w r2")
	if err := other.Notify(ctx, "mine"); err != nil {
		t.Fatal(err)
	}
	po.waitFor(t, "mine")
	po.mu.Lock()
	defer po.mu.Unlock()
	if !slices.Equal(po.got, []string{"mine"}) {
		t.Errorf("the other schema heard %q", po.got)
	}
}

// TestListenReconnects kills the listening connection: Listen connects
// again, says so, and hears what is sent afterwards.
func TestListenReconnects(t *testing.T) {
	db := openTemp(t)
	p, _ := listenTo(t, db)
	ctx := context.Background()
	for round := range 2 {
		var n int
		if err := db.pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE pid <> pg_backend_pid() AND query = 'LISTEN "' || $1 || '"'`, db.channel).Scan(&n); err != nil || n != 1 {
			t.Fatalf("terminate the listener: %d, %v", n, err)
		}
		select {
		case <-p.conn:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: Listen did not reconnect", round)
		}
		msg := fmt.Sprintf("after %d", round)
		if err := db.Notify(ctx, msg); err != nil {
			t.Fatal(err)
		}
		p.waitFor(t, msg)
	}
}
