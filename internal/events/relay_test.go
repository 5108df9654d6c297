package events

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// memBus is an in-process Bus: every payload reaches every listener, in
// the order sent. While down, payloads are lost; up again, listeners hear
// "connected". Each Notify takes delay, as a round trip to PostgreSQL does.
type memBus struct {
	mu        sync.Mutex
	listeners []chan string
	reconnect []chan struct{}
	down      bool
	sent      []string
	delay     time.Duration
}

func (b *memBus) Notify(_ context.Context, payloads ...string) error {
	time.Sleep(b.delay)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sent = append(b.sent, payloads...)
	if b.down {
		return nil
	}
	for _, p := range payloads {
		for _, l := range b.listeners {
			l <- p
		}
	}
	return nil
}

func (b *memBus) Listen(ctx context.Context, fn func(string), connected func()) error {
	l, rc := make(chan string, 10000), make(chan struct{}, 1)
	b.mu.Lock()
	b.listeners = append(b.listeners, l)
	b.reconnect = append(b.reconnect, rc)
	b.mu.Unlock()
	connected()
	for {
		select {
		case <-ctx.Done():
			return nil
		case n := <-l:
			fn(n)
		case <-rc:
			connected()
		}
	}
}

func (b *memBus) setDown(down bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.down = down
	if !down {
		for _, rc := range b.reconnect {
			rc <- struct{}{}
		}
	}
}

// notes returns the notes of a kind sent so far, one a line of a payload.
func (b *memBus) notes(kind string) []string {
	var out []string
	for _, p := range b.payloads() {
		for n := range strings.SplitSeq(p, "\n") {
			if n[:1] == kind {
				out = append(out, n)
			}
		}
	}
	return out
}

// payloads returns what was sent so far.
func (b *memBus) payloads() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.sent)
}

// announcingStore announces every stored event on the bus, as the
// PostgreSQL store's trigger does.
type announcingStore struct {
	*memStore
	bus *memBus
}

func (s announcingStore) AppendEvent(ctx context.Context, e store.Event) error {
	if err := s.memStore.AppendEvent(ctx, e); err != nil {
		return err
	}
	return s.bus.Notify(ctx, fmt.Sprintf("e %s %d", e.RunID, e.Seq))
}

// replicas returns n hubs sharing one store and one bus, each relaying
// until the test ends.
func replicas(t *testing.T, n int, opts ...Option) (*memStore, *memBus, []*Hub) {
	t.Helper()
	st, bus := &memStore{}, &memBus{}
	return st, bus, replicasOn(t, st, bus, n, opts...)
}

// replicasOn is replicas on a given store and bus.
func replicasOn(t *testing.T, st *memStore, bus *memBus, n int, opts ...Option) []*Hub {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	var hubs []*Hub
	for range n {
		h := NewHub(announcingStore{st, bus}, append([]Option{WithBus(bus)}, opts...)...)
		wg.Go(func() { _ = h.Run(ctx) })
		hubs = append(hubs, h)
	}
	// Wait until every hub listens.
	for deadline := time.Now().Add(5 * time.Second); ; {
		bus.mu.Lock()
		k := len(bus.listeners)
		bus.mu.Unlock()
		if k == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("hubs do not listen")
		}
		time.Sleep(time.Millisecond)
	}
	return hubs
}

// TestFollowRunOnAnotherReplica: a follower on B gets A's events live as
// they are stored, with the transient ticks while it watches, and a
// follower arriving later replays from its Last-Event-ID.
func TestFollowRunOnAnotherReplica(t *testing.T) {
	st, bus, hubs := replicas(t, 2)
	a, b := hubs[0], hubs[1]
	ctx := context.Background()
	a.Open("r")
	st.setRun("r", store.StateRunning)
	if _, err := a.Publish(ctx, "r", api.RunEvent{RunID: "r", State: api.StateQueued}); err != nil {
		t.Fatal(err)
	}
	evc, errc := follow(ctx, b, "r", 0)
	first := <-evc
	if first.Seq != 1 || first.Type != "run" {
		t.Fatalf("first event on B = %+v", first)
	}
	// The follower's watch note reaches A: the run counts as watched there.
	for deadline := time.Now().Add(5 * time.Second); len(bus.notes("w")) == 0 || a.Unwatched("r") != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("A never heard B's watch note: notes %v", bus.notes("w"))
		}
		time.Sleep(time.Millisecond)
	}
	a.topic("r").mu.Lock()
	watchedUntil := a.topic("r").remoteUntil
	a.topic("r").mu.Unlock()
	if until := time.Until(watchedUntil); until < watchTTL-time.Second {
		t.Fatalf("watched for %v more; want about %v", until, watchTTL)
	}
	if err := a.PublishTransient("r", api.QueueStatusEvent{Status: api.QueueWaiting, Position: 4}); err != nil {
		t.Fatal(err)
	}
	tr := <-evc
	if tr.Seq != 0 || tr.Type != "queue_status" {
		t.Fatalf("transient on B = %+v", tr)
	}
	var q api.QueueStatusEvent
	if err := json.Unmarshal(tr.Data, &q); err != nil || q.Position != 4 {
		t.Fatalf("transient payload on B = %s", tr.Data)
	}
	for i := range 20 {
		if _, err := a.Publish(ctx, "r", chunk(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Publish(ctx, "r", doneEvent); err != nil {
		t.Fatal(err)
	}
	st.setRun("r", store.StateDone)
	a.Close("r")
	evs, err := collect(t, evc, errc)
	if err != nil || len(evs) != 21 || evs[0].Seq != 2 || evs[20].Type != "done" {
		t.Fatalf("rest on B = %v, %v", types(evs), err)
	}
	for i, e := range evs {
		if e.Seq != int64(i+2) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
	replay, err := followAll(t, ctx, b, "r", 15)
	if err != nil || len(replay) != 7 || replay[0].Seq != 16 {
		t.Fatalf("replay after 15 on B = %v, %v", types(replay), err)
	}
}

// TestTransientRelayedOnlyWhenWatchedAndNotStale: unwatched runs send no
// transient notes; a transient that a stored event outdated is not shown.
func TestTransientRelayedOnlyWhenWatchedAndNotStale(t *testing.T) {
	_, bus, hubs := replicas(t, 2)
	a, b := hubs[0], hubs[1]
	a.Open("r")
	for range 3 {
		_ = a.PublishTransient("r", api.QueueStatusEvent{Status: api.QueueWaiting, Position: 1})
	}
	time.Sleep(20 * time.Millisecond)
	if n := bus.notes("t"); len(n) != 0 {
		t.Fatalf("transient notes of an unwatched run: %v", n)
	}
	// B at seq 0 hears a transient published after stored event 1 it has
	// not read: not shown before event 1.
	done := b.followRemote("r")
	defer done()
	b.receive(`t r 1 queue_status {"position":2}`)
	cur := Cursor{}
	if got := b.remoteTransient("r", &cur); got != nil {
		t.Fatalf("transient ahead of the reader shown: %+v", got)
	}
	cur.Seq = 1
	if got := b.remoteTransient("r", &cur); len(got) != 1 || string(got[0].Data) != `{"position":2}` {
		t.Fatalf("transient after the reader's event = %+v", got)
	}
	if got := b.remoteTransient("r", &cur); got != nil {
		t.Fatalf("transient shown twice: %+v", got)
	}
	b.receive(`t r 1 queue_status {"position":1}`)
	b.receive(`e r 2`)
	cur.Seq = 2
	if got := b.remoteTransient("r", &cur); got != nil {
		t.Fatalf("transient outdated by event 2 shown: %+v", got)
	}
}

// TestResyncAfterLostNotes: notes lost while the bus is down; when it is
// back, followers read the store again and miss nothing.
func TestResyncAfterLostNotes(t *testing.T) {
	st, bus, hubs := replicas(t, 2)
	a, b := hubs[0], hubs[1]
	b.foreignPoll = time.Hour // only the bus may wake the follower
	ctx := context.Background()
	a.Open("r")
	st.setRun("r", store.StateRunning)
	_, _ = a.Publish(ctx, "r", chunk("0"))
	evc, errc := follow(ctx, b, "r", 0)
	if e := <-evc; e.Seq != 1 {
		t.Fatalf("first = %+v", e)
	}
	time.Sleep(50 * time.Millisecond) // the note of event 1 has done its work
	bus.setDown(true)
	_, _ = a.Publish(ctx, "r", chunk("1"))
	_, _ = a.Publish(ctx, "r", doneEvent)
	select {
	case e := <-evc:
		t.Fatalf("B got %+v while the bus was down", e)
	case <-time.After(50 * time.Millisecond):
	}
	bus.setDown(false)
	evs, err := collect(t, evc, errc)
	if err != nil || !slices.Equal(types(evs), []string{"chunk", "done"}) {
		t.Fatalf("after reconnect: %v, %v", types(evs), err)
	}
}

// TestCancelNoteReachesTheHandler: a cancel note calls WithCancel's
// function on every replica, which acts only on its own runs.
func TestCancelNoteReachesTheHandler(t *testing.T) {
	var got atomic.Value
	_, bus, _ := replicas(t, 1, WithCancel(func(id string) { got.Store(id) }))
	_ = bus.Notify(context.Background(), "c run42")
	for deadline := time.Now().Add(5 * time.Second); got.Load() != "run42"; {
		if time.Now().After(deadline) {
			t.Fatal("cancel handler not called")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestFollowWaitsForDoneOfJustFinishedRun: the replica executing a run
// stores its final state just before error and done; a follower elsewhere
// reading in between waits for them instead of ending without done.
func TestFollowWaitsForDoneOfJustFinishedRun(t *testing.T) {
	st, _, hubs := replicas(t, 1)
	b := hubs[0]
	ctx := context.Background()
	_ = st.AppendEvent(ctx, store.Event{RunID: "r", Seq: 1, Type: "stage", Data: []byte(`{}`)})
	st.setRun("r", store.StateFailed)
	st.mu.Lock()
	st.ended = map[string]time.Time{"r": time.Now()}
	st.mu.Unlock()
	evc, errc := follow(ctx, b, "r", 0)
	time.Sleep(100 * time.Millisecond)
	// Stored without a bus note: found by the follower's short poll.
	for i, typ := range []string{"error", "done"} {
		if err := st.AppendEvent(ctx, store.Event{RunID: "r", Seq: int64(i + 2), Type: typ, Data: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := collect(t, evc, errc)
	if err != nil || !slices.Equal(types(evs), []string{"stage", "error", "done"}) {
		t.Fatalf("Follow = %v, %v; want stage, error, done", types(evs), err)
	}
}
