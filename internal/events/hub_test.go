package events

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// memStore is a small in-memory Store.
type memStore struct {
	mu     sync.Mutex
	events map[string][]store.Event
	runs   map[string]store.State
	ended  map[string]time.Time // FinishedAt of runs that have one
	fail   error
	reads  int // calls of Events and GetRun
}

func (m *memStore) AppendEvent(_ context.Context, e store.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	if m.events == nil {
		m.events = map[string][]store.Event{}
	}
	for _, old := range m.events[e.RunID] {
		if old.Seq == e.Seq {
			return store.ErrConflict
		}
	}
	m.events[e.RunID] = append(m.events[e.RunID], e)
	return nil
}

func (m *memStore) Events(_ context.Context, runID string, after int64) ([]store.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	if _, ok := m.runs[runID]; !ok && m.events[runID] == nil {
		return nil, store.ErrNotFound
	}
	var out []store.Event
	for _, e := range m.events[runID] {
		if e.Seq > after {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memStore) GetRun(_ context.Context, id string) (*store.Run, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	st, ok := m.runs[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	r := &store.Run{ID: id, State: st}
	if at, ok := m.ended[id]; ok {
		r.FinishedAt = &at
	}
	return r, nil
}

func (m *memStore) setRun(id string, st store.State) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runs == nil {
		m.runs = map[string]store.State{}
	}
	m.runs[id] = st
}

func (m *memStore) readCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reads
}

func (m *memStore) setFail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = err
}

func chunk(s string) api.Payload { return api.ChunkEvent{Stage: 2, Text: s} }

var doneEvent = api.DoneEvent{State: api.StateDone, MS: 1}

// follow runs Follow in the background and returns a channel of what it
// delivered, closed with Follow's result sent on errc.
func follow(ctx context.Context, h *Hub, runID string, after int64) (<-chan store.Event, <-chan error) {
	evc := make(chan store.Event, 1000)
	errc := make(chan error, 1)
	go func() {
		err := h.Follow(ctx, runID, after, Watcher{Event: func(e store.Event) error { evc <- e; return nil }})
		close(evc)
		errc <- err
	}()
	return evc, errc
}

// collect reads everything a follow delivers until it ends.
func collect(t *testing.T, evc <-chan store.Event, errc <-chan error) ([]store.Event, error) {
	t.Helper()
	var out []store.Event
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-evc:
			if !ok {
				return out, <-errc
			}
			out = append(out, e)
		case <-timeout:
			t.Fatal("Follow did not end")
		}
	}
}

// followAll follows a run to its end and returns what it delivered.
func followAll(t *testing.T, ctx context.Context, h *Hub, runID string, after int64) ([]store.Event, error) {
	t.Helper()
	evc, errc := follow(ctx, h, runID, after)
	return collect(t, evc, errc)
}

func types(evs []store.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

func TestFollowLiveThenFromStore(t *testing.T) {
	st := &memStore{}
	st.setRun("r1", store.StateRunning)
	h := NewHub(st)
	h.Open("r1")
	ctx := context.Background()
	evc, errc := follow(ctx, h, "r1", 0)
	for i, p := range []api.Payload{api.RunEvent{RunID: "r1", State: api.StateRunning}, chunk("a"), doneEvent} {
		e, err := h.Publish(ctx, "r1", p)
		if err != nil {
			t.Fatal(err)
		}
		if e.Seq != int64(i+1) || e.Type != string(p.EventType()) {
			t.Fatalf("event %d = seq %d type %s", i, e.Seq, e.Type)
		}
	}
	evs, err := collect(t, evc, errc)
	if err != nil || len(evs) != 3 || evs[2].Type != "done" {
		t.Fatalf("live follow = %v, %v", types(evs), err)
	}
	if stored, _ := st.Events(ctx, "r1", 0); len(stored) != 3 {
		t.Fatalf("store has %d events, want 3", len(stored))
	}
	h.Close("r1")
	st.setRun("r1", store.StateDone)
	evs, err = followAll(t, ctx, h, "r1", 2)
	if err != nil || len(evs) != 1 || evs[0].Seq != 3 {
		t.Fatalf("follow after close from seq 2 = %+v, %v", evs, err)
	}
	if _, err := h.Publish(ctx, "r1", chunk("late")); !errors.Is(err, ErrClosed) {
		t.Fatalf("publish after close: %v, want ErrClosed", err)
	}
	if err := h.PublishTransient("r1", api.QueueStatusEvent{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("transient after close: %v, want ErrClosed", err)
	}
}

func TestFollowUnknownRun(t *testing.T) {
	h := NewHub(&memStore{})
	_, err := followAll(t, context.Background(), h, "nope", 0)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Follow(unknown) = %v, want ErrNotFound", err)
	}
}

func TestFollowRunFinishedWithoutDone(t *testing.T) {
	st := &memStore{}
	st.setRun("old", store.StateInterrupted)
	_ = st.AppendEvent(context.Background(), store.Event{RunID: "old", Seq: 1, Type: "run", Data: json.RawMessage(`{}`)})
	h := NewHub(st)
	evs, err := followAll(t, context.Background(), h, "old", 0)
	if err != nil || len(evs) != 1 {
		t.Fatalf("Follow(finished without done) = %v, %v; want the one event and nil", types(evs), err)
	}
}

func TestFollowForeignRunUntilItEnds(t *testing.T) {
	st := &memStore{}
	st.setRun("f", store.StateRunning)
	h := NewHub(st)
	h.foreignPoll = 10 * time.Millisecond
	evc, errc := follow(context.Background(), h, "f", 0)
	raw, _ := json.Marshal(doneEvent)
	_ = st.AppendEvent(context.Background(), store.Event{RunID: "f", Seq: 1, Type: "done", Data: raw})
	st.setRun("f", store.StateDone)
	evs, err := collect(t, evc, errc)
	if err != nil || len(evs) != 1 || evs[0].Type != "done" {
		t.Fatalf("Follow(foreign) = %v, %v", types(evs), err)
	}
}

func TestFollowEndsWithContextAndPings(t *testing.T) {
	h := NewHub(&memStore{})
	h.Open("r")
	ctx, cancel := context.WithCancel(context.Background())
	pings := make(chan struct{}, 10)
	errc := make(chan error, 1)
	go func() {
		errc <- h.Follow(ctx, "r", 0, Watcher{
			Event: func(store.Event) error { return nil },
			Ping:  10 * time.Millisecond, OnPing: func() error { pings <- struct{}{}; return nil },
		})
	}()
	for range 2 {
		select {
		case <-pings:
		case <-time.After(5 * time.Second):
			t.Fatal("no ping while idle")
		}
	}
	if h.Subscribers() != 1 || h.Unwatched("r") != 0 {
		t.Fatalf("while following: subscribers %d, unwatched %v", h.Subscribers(), h.Unwatched("r"))
	}
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Follow after cancel = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Follow did not end with its context")
	}
	if h.Subscribers() != 0 {
		t.Fatalf("subscribers after the follow ended: %d", h.Subscribers())
	}
}

func TestStoreFailureKeepsTheStreamInMemoryUntilFlush(t *testing.T) {
	st := &memStore{}
	st.setRun("r", store.StateRunning)
	h := NewHub(st)
	h.Open("r")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// A cancelled context still stores: the final events of a cancelled run count.
	if _, err := h.Publish(ctx, "r", api.RunEvent{RunID: "r", State: api.StateRunning}); err != nil {
		t.Fatalf("publish with cancelled ctx: %v", err)
	}
	evc, errc := follow(context.Background(), h, "r", 0)
	st.setFail(errors.New("disk full"))
	if _, err := h.Publish(context.Background(), "r", chunk("x")); !errors.Is(err, ErrStoreFailed) {
		t.Fatalf("publish on a failing store = %v, want ErrStoreFailed", err)
	}
	st.setFail(nil)
	// Once a write failed, later events stay in memory too: the store never
	// holds a gap.
	if _, err := h.Publish(context.Background(), "r", api.ErrorEvent{Code: api.CodeStoreFailed}); !errors.Is(err, ErrStoreFailed) {
		t.Fatalf("publish after a failure = %v, want ErrStoreFailed", err)
	}
	if _, err := h.Publish(context.Background(), "r", doneEvent); !errors.Is(err, ErrStoreFailed) {
		t.Fatal(err)
	}
	h.Close("r")
	evs, err := collect(t, evc, errc)
	if err != nil || len(evs) != 4 || evs[3].Type != "done" {
		t.Fatalf("live reader of a failing run got %v, %v; want all four events from memory", types(evs), err)
	}
	if stored, _ := st.Events(context.Background(), "r", 0); len(stored) != 1 {
		t.Fatalf("store holds %d events before the flush, want 1", len(stored))
	}
	// A reader arriving after the run closed still gets everything from memory.
	if evs, err := followAll(t, context.Background(), h, "r", 1); err != nil || len(evs) != 3 {
		t.Fatalf("late reader = %v, %v", types(evs), err)
	}
	st.setFail(errors.New("still full"))
	if err := h.Flush(context.Background(), "r"); err == nil {
		t.Fatal("Flush on a failing store reported success")
	}
	st.setFail(nil)
	if err := h.Flush(context.Background(), "r"); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if h.topic("r") != nil {
		t.Fatal("a flushed closed run stays in memory")
	}
	stored, _ := st.Events(context.Background(), "r", 0)
	for i, e := range stored {
		if e.Seq != int64(i+1) {
			t.Fatalf("stored seqs after flush: %v", stored)
		}
	}
	if len(stored) != 4 {
		t.Fatalf("store holds %d events after the flush, want 4", len(stored))
	}
}

func TestWatchCountsAndIdleTime(t *testing.T) {
	h := NewHub(&memStore{})
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	h.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	h.Open("r")
	advance(30 * time.Second)
	if got := h.Unwatched("r"); got != 30*time.Second {
		t.Fatalf("Unwatched = %v, want 30s", got)
	}
	un := h.watch("r")
	if h.Subscribers() != 1 || h.Unwatched("r") != 0 {
		t.Fatalf("subscribers %d, unwatched %v", h.Subscribers(), h.Unwatched("r"))
	}
	advance(time.Minute)
	un()
	advance(5 * time.Second)
	if h.Subscribers() != 0 || h.Unwatched("r") != 5*time.Second {
		t.Fatalf("after unwatch: subscribers %d, unwatched %v", h.Subscribers(), h.Unwatched("r"))
	}
}

func TestConcurrentPublishersAndFollowers(t *testing.T) {
	st := &memStore{}
	st.setRun("r", store.StateRunning)
	h := NewHub(st)
	h.Open("r")
	ctx := context.Background()
	const n = 200
	type res struct {
		evs []store.Event
		err error
	}
	results := make(chan res, 4)
	for range 4 {
		evc, errc := follow(ctx, h, "r", 0)
		go func() {
			var r res
			for e := range evc {
				r.evs = append(r.evs, e)
			}
			r.err = <-errc
			results <- r
		}()
	}
	for i := 0; i < n; i++ {
		if _, err := h.Publish(ctx, "r", chunk("x")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Publish(ctx, "r", doneEvent); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		select {
		case r := <-results:
			if r.err != nil || len(r.evs) != n+1 {
				t.Fatalf("follower got %d events, %v; want %d", len(r.evs), r.err, n+1)
			}
			for i, e := range r.evs {
				if e.Seq != int64(i+1) {
					t.Fatalf("gap: event %d has seq %d", i, e.Seq)
				}
			}
		case <-time.After(10 * time.Second):
			t.Fatal("follower stalled")
		}
	}
}

func TestTransientEventsReachLiveReadersOnly(t *testing.T) {
	st := &memStore{}
	h := NewHub(st)
	h.Open("r")
	ctx := context.Background()
	if _, err := h.Publish(ctx, "r", api.RunEvent{RunID: "r"}); err != nil {
		t.Fatal(err)
	}
	tp := h.topic("r")
	evs, cur, _ := tp.since(Cursor{})
	if len(evs) != 1 {
		t.Fatalf("got %d events", len(evs))
	}
	// Two ticks before the reader looks: it gets only the latest, without a seq.
	for i := 1; i <= 2; i++ {
		if err := h.PublishTransient("r", api.QueueStatusEvent{Status: api.QueueWaiting, Position: 3 - i}); err != nil {
			t.Fatal(err)
		}
	}
	evs, cur, _ = tp.since(cur)
	if len(evs) != 1 || evs[0].Seq != 0 || evs[0].Type != "queue_status" {
		t.Fatalf("transient read = %+v", evs)
	}
	var q api.QueueStatusEvent
	if err := json.Unmarshal(evs[0].Data, &q); err != nil || q.Position != 1 {
		t.Fatalf("transient payload = %s", evs[0].Data)
	}
	if evs, _, _ = tp.since(cur); len(evs) != 0 {
		t.Fatalf("transient delivered twice: %+v", evs)
	}
	// A stored event makes a pending transient stale.
	_ = h.PublishTransient("r", api.QueueStatusEvent{Status: api.QueueWaiting, Position: 1})
	if _, err := h.Publish(ctx, "r", api.QueueStatusEvent{Status: api.QueueAcquired}); err != nil {
		t.Fatal(err)
	}
	evs, _, _ = tp.since(cur)
	if len(evs) != 1 || evs[0].Seq != 2 {
		t.Fatalf("after a stored event: %+v", evs)
	}
	if stored, _ := st.Events(ctx, "r", 0); len(stored) != 2 {
		t.Fatalf("store holds %d events; transient ones must not be stored", len(stored))
	}
}
