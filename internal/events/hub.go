// Package events stores and fans out the typed events a run publishes.
//
// Every event is appended to the run store before any subscriber sees it, so a
// browser that reconnects with Last-Event-ID misses nothing. Subscribers never
// block a run: instead of a channel per subscriber, each active run keeps its
// events in memory and closes a "changed" channel on every publish; readers
// copy what is new and wait for the next change.
//
// Transient events (the once-a-second queue_status ticks) are the exception:
// they go to live readers only, without a sequence number, and only the
// latest is kept, so 2,000 waiting runs do not write 2,000 rows a second. A
// stored event makes the pending transient one stale and drops it.
package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// ErrClosed is returned when publishing to a run whose stream has ended.
var ErrClosed = errors.New("events: run stream closed")

// Appender is the part of the run store the hub writes to.
type Appender interface {
	AppendEvent(ctx context.Context, e store.Event) error
	Events(ctx context.Context, runID string, afterSeq int64) ([]store.Event, error)
}

// Hub holds the live event streams of active runs.
type Hub struct {
	store Appender
	now   func() time.Time

	mu     sync.Mutex
	topics map[string]*topic
	subs   int
}

type topic struct {
	mu        sync.Mutex
	events    []store.Event
	transient *store.Event // latest transient event, nil once a stored one follows
	tcount    uint64       // transient events published so far
	changed   chan struct{}
	closed    bool
	watchers  int
	idleFrom  time.Time // when the last watcher left (or the topic opened)
}

// NewHub returns a hub that persists events to st.
func NewHub(st Appender) *Hub {
	return &Hub{store: st, now: time.Now, topics: make(map[string]*topic)}
}

// Open starts the live stream of a run. Events published before Open are an error.
func (h *Hub) Open(runID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.topics[runID] = &topic{changed: make(chan struct{}), idleFrom: h.now()}
}

// Publish marshals data, appends the event with the next sequence number to the
// store and wakes every reader of the run. It returns the stored event.
func (h *Hub) Publish(ctx context.Context, runID, typ string, data any) (store.Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return store.Event{}, fmt.Errorf("events: marshal %s: %w", typ, err)
	}
	t := h.topic(runID)
	if t == nil {
		return store.Event{}, fmt.Errorf("events: publish %s to %s: %w", typ, runID, ErrClosed)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return store.Event{}, fmt.Errorf("events: publish %s to %s: %w", typ, runID, ErrClosed)
	}
	e := store.Event{RunID: runID, Seq: int64(len(t.events)) + 1, Type: typ, Data: raw, At: h.now().UTC()}
	// The store write must not be cut short by the run's own cancellation:
	// the final events of a cancelled run still have to be recorded.
	if err := h.store.AppendEvent(context.WithoutCancel(ctx), e); err != nil {
		return store.Event{}, fmt.Errorf("events: store %s: %w", typ, err)
	}
	t.events = append(t.events, e)
	t.transient = nil
	close(t.changed)
	t.changed = make(chan struct{})
	return e, nil
}

// PublishTransient sends an event to the run's live readers without storing
// it. It carries no sequence number (Seq 0) and replaces any transient event
// readers have not fetched yet.
func (h *Hub) PublishTransient(runID, typ string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("events: marshal %s: %w", typ, err)
	}
	t := h.topic(runID)
	if t == nil {
		return fmt.Errorf("events: publish %s to %s: %w", typ, runID, ErrClosed)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return fmt.Errorf("events: publish %s to %s: %w", typ, runID, ErrClosed)
	}
	t.tcount++
	t.transient = &store.Event{RunID: runID, Type: typ, Data: raw, At: h.now().UTC()}
	close(t.changed)
	t.changed = make(chan struct{})
	return nil
}

// Close ends the live stream of a run: readers drain what is left and later
// readers are served from the store.
func (h *Hub) Close(runID string) {
	h.mu.Lock()
	t := h.topics[runID]
	delete(h.topics, runID)
	h.mu.Unlock()
	if t == nil {
		return
	}
	t.mu.Lock()
	t.closed = true
	close(t.changed)
	t.changed = make(chan struct{})
	t.mu.Unlock()
}

func (h *Hub) topic(runID string) *topic {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.topics[runID]
}

// Cursor is how far a reader has read: the last stored event's sequence
// number and the count of transient events seen.
type Cursor struct {
	Seq       int64
	Transient uint64
}

// Since returns the events of a run after cur and the cursor to continue
// from. While the run is live it also returns a channel that is closed when
// more events arrive, and the latest transient event the reader has not seen
// comes last; for a run that is no longer live the events come from the store
// and the channel is nil.
func (h *Hub) Since(ctx context.Context, runID string, cur Cursor) ([]store.Event, Cursor, <-chan struct{}, error) {
	if t := h.topic(runID); t != nil {
		t.mu.Lock()
		if !t.closed {
			var out []store.Event
			if cur.Seq < int64(len(t.events)) {
				out = append(out, t.events[max(cur.Seq, 0):]...)
				cur.Seq = int64(len(t.events))
			}
			if t.transient != nil && t.tcount > cur.Transient {
				out = append(out, *t.transient)
			}
			cur.Transient = t.tcount
			ch := t.changed
			t.mu.Unlock()
			return out, cur, ch, nil
		}
		t.mu.Unlock()
	}
	evs, err := h.store.Events(ctx, runID, cur.Seq)
	if err != nil {
		return nil, cur, nil, fmt.Errorf("events: read %s: %w", runID, err)
	}
	if n := len(evs); n > 0 {
		cur.Seq = evs[n-1].Seq
	}
	return evs, cur, nil, nil
}

// Watch records that a subscriber follows the run; the returned func ends the
// watch and is safe to call twice.
func (h *Hub) Watch(runID string) (unwatch func()) {
	h.mu.Lock()
	h.subs++
	h.mu.Unlock()
	t := h.topic(runID)
	if t != nil {
		t.mu.Lock()
		t.watchers++
		t.mu.Unlock()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			h.subs--
			h.mu.Unlock()
			if t == nil {
				return
			}
			t.mu.Lock()
			t.watchers--
			if t.watchers == 0 {
				t.idleFrom = h.now()
			}
			t.mu.Unlock()
		})
	}
}

// Unwatched reports how long a live run has had no subscriber (0 while one watches).
func (h *Hub) Unwatched(runID string) time.Duration {
	t := h.topic(runID)
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.watchers > 0 {
		return 0
	}
	return h.now().Sub(t.idleFrom)
}

// Subscribers is the number of open subscriptions over all runs.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.subs
}
