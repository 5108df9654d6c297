// Package sharedqueue is the slot queue of a machine shared by every
// replica of one PostgreSQL store (docs/scheduling.md, "Several replicas"):
// the machine's slots hold across all replicas together, the positions told
// to waiting runs are global and never rise, and students and workshops
// take turns as in internal/queue, counted over every replica.
//
// The tickets live in the store, which grants slots under a lock per queue
// and announces every grant and departure with a note "q <queue>" on the
// replicas' bus. Each replica looks at a queue it waits in when a note
// comes and at least once per tick: one query tells every local waiter its
// position or its grant. A waiting replica also asks the store to grant
// each tick, which frees the slots of replicas whose lease expired, so a
// dead replica's slots come back within its lease's TTL plus a tick.
package sharedqueue

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// ErrLost is returned to a waiter whose ticket vanished from the store:
// the other replicas declared this one dead and dropped its tickets. It
// wraps fault.ErrInterrupted, so the run ends interrupted.
var ErrLost = fmt.Errorf("sharedqueue: ticket lost, this replica was declared dead: %w", fault.ErrInterrupted)

// Store is the store side of the shared queue (internal/store/postgres).
type Store interface {
	EnqueueTicket(ctx context.Context, t store.QueueTicket, lim store.QueueLimits) (store.QueueEntry, error)
	LeaveQueue(ctx context.Context, queue string, id int64, lim store.QueueLimits) error
	GrantQueue(ctx context.Context, queue string, lim store.QueueLimits) error
	LookQueue(ctx context.Context, queue, replica string) (store.QueueLook, error)
}

// Defaults for Options.
const (
	// DefaultTick is how often a replica looks at a queue it waits in: a
	// little under a second, so every waiter hears at least once a second.
	DefaultTick = 900 * time.Millisecond
	// minGap is the shortest time between two looks at one queue, so a
	// burst of notes costs one query.
	minGap = 200 * time.Millisecond
	// leaveTimeout bounds the store call that gives a ticket back after
	// the caller's context ended.
	leaveTimeout = 5 * time.Second
)

// Options configures a Manager.
type Options struct {
	Store Store
	// Replica is this replica's id (internal/replica).
	Replica string
	// TTL is the lease age after which a replica counts as dead
	// (replica.DefaultTTL when 0).
	TTL time.Duration
	// Tick is the look period (DefaultTick when 0).
	Tick time.Duration
	Log  *slog.Logger
}

// Manager holds this replica's shared queues.
type Manager struct {
	o Options

	mu     sync.Mutex
	queues map[string]*Queue
	closed bool
	wg     sync.WaitGroup
}

// New returns a Manager; Close ends its lookers.
func New(o Options) *Manager {
	if o.Tick <= 0 {
		o.Tick = DefaultTick
	}
	if o.TTL <= 0 {
		o.TTL = 10 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Manager{o: o, queues: map[string]*Queue{}}
}

// Queue returns the shared queue named name (e.g. "image:gpu-1"), made on
// first use with slots and the longest waiting line. onAcquired, if set, is
// called with the wait of every granted slot, as in queue.Options.
func (m *Manager) Queue(name string, slots, maxWaiting int, onAcquired func(time.Duration)) *Queue {
	m.mu.Lock()
	defer m.mu.Unlock()
	q, ok := m.queues[name]
	if !ok {
		q = &Queue{
			m: m, name: name, onAcquired: onAcquired,
			lim:     store.QueueLimits{Slots: max(slots, 1), MaxWaiting: max(maxWaiting, 0), TTL: m.o.TTL},
			waiters: map[int64]*waiter{},
			poke:    make(chan struct{}, 1),
			closed:  m.closed,
		}
		m.queues[name] = q
	}
	return q
}

// Heard handles a note from the bus; it returns false for notes that are
// not the queue's, which the caller passes on. A note "q <queue> <id> ..."
// wakes the local waiters of the granted tickets at once and makes the
// queue look again for the others' positions.
func (m *Manager) Heard(note string) bool {
	if len(note) < 2 || note[:2] != "q " {
		return false
	}
	fields := strings.Fields(note[2:])
	if len(fields) == 0 {
		return true
	}
	m.mu.Lock()
	q := m.queues[fields[0]]
	m.mu.Unlock()
	if q == nil {
		return true
	}
	var granted []int64
	for _, f := range fields[1:] {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			granted = append(granted, id)
		}
	}
	q.grantedElsewhere(granted)
	q.nudge()
	return true
}

// Resync makes every queue look again: notes sent while the bus was down
// are lost.
func (m *Manager) Resync() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, q := range m.queues {
		q.nudge()
	}
}

// Close fails every waiter with queue.ErrClosed (their tickets are given
// back) and refuses new ones; it returns when the lookers have ended.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	qs := make([]*Queue, 0, len(m.queues))
	for _, q := range m.queues {
		qs = append(qs, q)
	}
	m.mu.Unlock()
	for _, q := range qs {
		q.Close()
	}
	m.wg.Wait()
}
