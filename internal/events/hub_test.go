package events

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// memStore is a small in-memory Appender.
type memStore struct {
	mu     sync.Mutex
	events map[string][]store.Event
	fail   error
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
	m.events[e.RunID] = append(m.events[e.RunID], e)
	return nil
}

func (m *memStore) Events(_ context.Context, runID string, after int64) ([]store.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Event
	for _, e := range m.events[runID] {
		if e.Seq > after {
			out = append(out, e)
		}
	}
	return out, nil
}

func TestPublishStoresBeforeReadersSeeIt(t *testing.T) {
	st := &memStore{}
	h := NewHub(st)
	h.Open("r1")
	ctx := context.Background()
	evs, _, changed, err := h.Since(ctx, "r1", Cursor{})
	if err != nil || len(evs) != 0 || changed == nil {
		t.Fatalf("Since on empty live run = %v, %v, %v", evs, changed, err)
	}
	for i, typ := range []string{"run", "chunk", "done"} {
		e, err := h.Publish(ctx, "r1", typ, map[string]int{"i": i})
		if err != nil {
			t.Fatal(err)
		}
		if e.Seq != int64(i+1) {
			t.Fatalf("seq = %d, want %d", e.Seq, i+1)
		}
	}
	select {
	case <-changed:
	case <-time.After(time.Second):
		t.Fatal("changed channel not closed after publish")
	}
	stored, _ := st.Events(ctx, "r1", 0)
	if len(stored) != 3 {
		t.Fatalf("store has %d events, want 3", len(stored))
	}
	evs, _, _, _ = h.Since(ctx, "r1", Cursor{Seq: 1})
	if len(evs) != 2 || evs[0].Type != "chunk" || evs[1].Type != "done" {
		t.Fatalf("Since(1) = %+v", evs)
	}
	h.Close("r1")
	evs, _, changed, err = h.Since(ctx, "r1", Cursor{Seq: 2})
	if err != nil || changed != nil || len(evs) != 1 || evs[0].Type != "done" {
		t.Fatalf("Since after close = %+v, %v, %v", evs, changed, err)
	}
	if _, err := h.Publish(ctx, "r1", "late", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("publish after close: %v, want ErrClosed", err)
	}
}

func TestPublishSurvivesCancelledContextAndReportsStoreErrors(t *testing.T) {
	st := &memStore{}
	h := NewHub(st)
	h.Open("r")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Publish(ctx, "r", "done", nil); err != nil {
		t.Fatalf("publish with cancelled ctx: %v", err)
	}
	st.fail = errors.New("disk full")
	if _, err := h.Publish(context.Background(), "r", "x", nil); err == nil {
		t.Fatal("store failure not reported")
	}
	if evs, _, _, _ := h.Since(context.Background(), "r", Cursor{}); len(evs) != 1 {
		t.Fatalf("a failed event became visible: %+v", evs)
	}
}

func TestWatchCountsAndIdleTime(t *testing.T) {
	h := NewHub(&memStore{})
	now := time.Unix(1000, 0)
	h.now = func() time.Time { return now }
	h.Open("r")
	now = now.Add(30 * time.Second)
	if got := h.Unwatched("r"); got != 30*time.Second {
		t.Fatalf("Unwatched = %v, want 30s", got)
	}
	un := h.Watch("r")
	if h.Subscribers() != 1 || h.Unwatched("r") != 0 {
		t.Fatalf("subscribers %d, unwatched %v", h.Subscribers(), h.Unwatched("r"))
	}
	now = now.Add(time.Minute)
	un()
	un() // idempotent
	now = now.Add(5 * time.Second)
	if h.Subscribers() != 0 || h.Unwatched("r") != 5*time.Second {
		t.Fatalf("after unwatch: subscribers %d, unwatched %v", h.Subscribers(), h.Unwatched("r"))
	}
}

func TestConcurrentPublishersAndReaders(t *testing.T) {
	h := NewHub(&memStore{})
	h.Open("r")
	ctx := context.Background()
	const n = 200
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last int64
			var cur Cursor
			for last < n {
				evs, next, ch, err := h.Since(ctx, "r", cur)
				cur = next
				if err != nil {
					t.Error(err)
					return
				}
				for _, e := range evs {
					if e.Seq != last+1 {
						t.Errorf("gap: got seq %d after %d", e.Seq, last)
						return
					}
					last = e.Seq
				}
				if last < n {
					select {
					case <-ch:
					case <-time.After(5 * time.Second):
						t.Error("reader stalled")
						return
					}
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		if _, err := h.Publish(ctx, "r", "chunk", i); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}

func TestTransientEventsReachLiveReadersOnly(t *testing.T) {
	st := &memStore{}
	h := NewHub(st)
	h.Open("r")
	ctx := context.Background()
	if _, err := h.Publish(ctx, "r", "run", nil); err != nil {
		t.Fatal(err)
	}
	evs, cur, _, _ := h.Since(ctx, "r", Cursor{})
	if len(evs) != 1 {
		t.Fatalf("got %d events", len(evs))
	}
	// Two ticks before the reader looks: it gets only the latest, without a seq.
	for i := 1; i <= 2; i++ {
		if err := h.PublishTransient("r", "queue_status", map[string]int{"position": 3 - i}); err != nil {
			t.Fatal(err)
		}
	}
	evs, cur, _, _ = h.Since(ctx, "r", cur)
	if len(evs) != 1 || evs[0].Seq != 0 || string(evs[0].Data) != `{"position":1}` {
		t.Fatalf("transient read = %+v", evs)
	}
	if evs, _, _, _ = h.Since(ctx, "r", cur); len(evs) != 0 {
		t.Fatalf("transient delivered twice: %+v", evs)
	}
	// A stored event makes a pending transient stale.
	_ = h.PublishTransient("r", "queue_status", map[string]int{"position": 1})
	if _, err := h.Publish(ctx, "r", "queue_status", map[string]string{"status": "acquired"}); err != nil {
		t.Fatal(err)
	}
	evs, _, _, _ = h.Since(ctx, "r", cur)
	if len(evs) != 1 || evs[0].Seq != 2 {
		t.Fatalf("after a stored event: %+v", evs)
	}
	if stored, _ := st.Events(ctx, "r", 0); len(stored) != 2 {
		t.Fatalf("store holds %d events; transient ones must not be stored", len(stored))
	}
	h.Close("r")
	if err := h.PublishTransient("r", "queue_status", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("transient after close: %v", err)
	}
}
