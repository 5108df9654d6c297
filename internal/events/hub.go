// Package events stores and fans out the typed events a run publishes
// (the vocabulary is package api; docs/api.md, "Events").
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
//
// When the store refuses a write (a full disk), the run's stream goes on in
// memory: the event and every later one are kept, live readers still get
// them up to done, and Publish reports ErrStoreFailed so the run ends. A
// closed run with unstored events stays readable from memory until Flush
// writes them.
//
// Replicas sharing one PostgreSQL store link their hubs through a Bus
// (relay.go; docs/deploy.md, "How replicas cooperate"): a run's events are
// live only on the replica that executes it, and a follower on another
// replica reads them from the store as the bus announces them.
package events

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// ErrClosed is returned when publishing to a run whose stream has ended.
var ErrClosed = errors.New("events: run stream closed")

// ErrStoreFailed wraps a store write that failed: the event was kept in
// memory and delivered to live readers, but is not stored yet.
var ErrStoreFailed = errors.New("events: event not stored")

// Store is the part of the run store the hub uses.
type Store interface {
	AppendEvent(ctx context.Context, e store.Event) error
	Events(ctx context.Context, runID string, afterSeq int64) ([]store.Event, error)
	GetRun(ctx context.Context, id string) (*store.Run, error)
}

// Hub holds the live event streams of active runs.
type Hub struct {
	store Store
	now   func() time.Time
	// foreignPoll is how often Follow looks at a run that is neither live
	// here nor finished: one left by another process.
	foreignPoll time.Duration

	// bus links the hub with those of other replicas (nil: one process);
	// the rest of the relay state is in relay.go.
	bus      Bus
	onCancel func(runID string)
	outbox   *outbox

	mu      sync.Mutex
	topics  map[string]*topic
	remotes map[string]*remote // runs followed here that execute elsewhere
	subs    int
}

type topic struct {
	mu        sync.Mutex
	events    []store.Event
	stored    int          // events[:stored] are in the store
	failed    error        // the store error that stopped writes, nil while they succeed
	transient *store.Event // latest transient event, nil once a stored one follows
	tafter    int64        // the events before the transient one
	relayed   *store.Event // the transient event last sent to other replicas
	tcount    uint64       // transient events published so far
	changed   chan struct{}
	closed    bool
	watchers  int
	idleFrom  time.Time // when the last watcher left (or the topic opened)
	// remoteUntil is when the last watch note from another replica's
	// follower runs out (relay.go).
	remoteUntil time.Time
}

// Option configures a Hub.
type Option func(*Hub)

// NewHub returns a hub that persists events to st.
func NewHub(st Store, opts ...Option) *Hub {
	h := &Hub{store: st, now: time.Now, foreignPoll: time.Second,
		topics: make(map[string]*topic), remotes: make(map[string]*remote)}
	for _, o := range opts {
		o(h)
	}
	if h.bus != nil {
		// The bus announces what is stored; the poll only guards against
		// a replica that announces nothing.
		h.foreignPoll = 5 * time.Second
		h.outbox = newOutbox()
	}
	return h
}

// Open starts the live stream of a run. It is called before the run is
// stored, so a reader that finds the run in the store finds it live here.
func (h *Hub) Open(runID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.topics[runID] = &topic{changed: make(chan struct{}), idleFrom: h.now()}
}

// Publish appends p as the run's next event to the store and wakes every
// reader of the run. It returns the event. If the store refuses it, the
// event is kept and delivered from memory all the same and the error wraps
// ErrStoreFailed; from then on the run's events stay in memory until Flush.
func (h *Hub) Publish(ctx context.Context, runID string, p api.Payload) (store.Event, error) {
	enc, err := api.Encode(p)
	if err != nil {
		return store.Event{}, fmt.Errorf("events: %w", err)
	}
	t := h.topic(runID)
	if t == nil {
		return store.Event{}, fmt.Errorf("events: publish %s to %s: %w", enc.Type, runID, ErrClosed)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return store.Event{}, fmt.Errorf("events: publish %s to %s: %w", enc.Type, runID, ErrClosed)
	}
	e := store.Event{RunID: runID, Seq: int64(len(t.events)) + 1, Type: string(enc.Type), Data: enc.Data, At: h.now().UTC()}
	if t.failed == nil {
		// The store write must not be cut short by the run's own
		// cancellation: the final events of a cancelled run still have to
		// be recorded.
		if err := h.store.AppendEvent(context.WithoutCancel(ctx), e); err != nil {
			t.failed = err
		} else {
			t.stored++
		}
	}
	t.events = append(t.events, e)
	t.transient = nil
	t.wake()
	if t.failed != nil {
		return e, fmt.Errorf("events: store %s of %s: %w: %w", e.Type, runID, ErrStoreFailed, t.failed)
	}
	return e, nil
}

// PublishTransient sends p to the run's live readers without storing it.
// It carries no sequence number (Seq 0) and replaces any transient event
// readers have not fetched yet.
func (h *Hub) PublishTransient(runID string, p api.Payload) error {
	enc, err := api.Encode(p)
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	t := h.topic(runID)
	if t == nil {
		return fmt.Errorf("events: publish %s to %s: %w", enc.Type, runID, ErrClosed)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return fmt.Errorf("events: publish %s to %s: %w", enc.Type, runID, ErrClosed)
	}
	t.tcount++
	t.transient = &store.Event{RunID: runID, Type: string(enc.Type), Data: enc.Data, At: h.now().UTC()}
	t.tafter = int64(len(t.events))
	t.wake()
	if h.bus != nil && h.now().Before(t.remoteUntil) {
		h.relayTransient(t)
	}
	return nil
}

// wake tells every reader that something changed; t.mu is held.
func (t *topic) wake() {
	close(t.changed)
	t.changed = make(chan struct{})
}

// Close ends the live stream of a run: readers drain what is left and later
// readers are served from the store. A run with unstored events stays in
// memory until Flush has written them.
func (h *Hub) Close(runID string) {
	h.mu.Lock()
	t := h.topics[runID]
	if t == nil {
		h.mu.Unlock()
		return
	}
	t.mu.Lock()
	pending := t.stored < len(t.events)
	if !pending {
		delete(h.topics, runID)
	}
	h.mu.Unlock()
	t.closed = true
	t.wake()
	t.mu.Unlock()
}

// Flush writes the events of a run that the store refused before. It
// returns nil once all are stored (a closed run then leaves memory), or the
// store's error. Events the store already has (ErrConflict) count as stored.
func (h *Hub) Flush(ctx context.Context, runID string) error {
	t := h.topic(runID)
	if t == nil {
		return nil
	}
	t.mu.Lock()
	for t.stored < len(t.events) {
		err := h.store.AppendEvent(ctx, t.events[t.stored])
		if err != nil && !errors.Is(err, store.ErrConflict) {
			t.failed = err
			t.mu.Unlock()
			return fmt.Errorf("events: flush %s: %w", runID, err)
		}
		t.stored++
	}
	t.failed = nil
	closed := t.closed
	t.mu.Unlock()
	if closed {
		h.mu.Lock()
		if h.topics[runID] == t {
			delete(h.topics, runID)
		}
		h.mu.Unlock()
	}
	return nil
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

// since returns what a reader at cur has not seen of a topic held in memory,
// the new cursor, and the channel closed on the next change (nil once the
// topic is closed: nothing more will come).
func (t *topic) since(cur Cursor) ([]store.Event, Cursor, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []store.Event
	if cur.Seq < int64(len(t.events)) {
		out = append(out, t.events[max(cur.Seq, 0):]...)
		cur.Seq = int64(len(t.events))
	}
	if t.closed {
		return out, cur, nil
	}
	if t.transient != nil && t.tcount > cur.Transient {
		out = append(out, *t.transient)
	}
	cur.Transient = t.tcount
	return out, cur, t.changed
}

// watch records that a subscriber follows the run; the returned func ends
// the watch.
func (h *Hub) watch(runID string) (unwatch func()) {
	h.mu.Lock()
	h.subs++
	t := h.topics[runID]
	h.mu.Unlock()
	if t != nil {
		t.mu.Lock()
		t.watchers++
		t.mu.Unlock()
	}
	return func() {
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
	return max(h.now().Sub(later(t.idleFrom, t.remoteUntil)), 0)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Subscribers is the number of open subscriptions over all runs.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.subs
}
