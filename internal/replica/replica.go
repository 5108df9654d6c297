// Package replica keeps one server's lease among the replicas sharing a
// PostgreSQL store, and ends the runs of replicas that died (docs/deploy.md,
// "How replicas cooperate").
//
// Each replica has a random id for its lifetime; the runs it executes
// record it as their owner. It renews its lease every Interval. A replica
// whose lease is older than TTL is dead: every survivor's next sweep ends
// its unfinished runs as interrupted, with the error and done events in
// each run's language, so every stream watching them ends. A new replica
// sweeps once before it serves, which ends the runs its previous life (a
// different id) left behind, and never those of live replicas.
package replica

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// Store is the replica side of the run store (store.Replicas).
type Store interface {
	Beat(ctx context.Context, id string) (bool, error)
	Leave(ctx context.Context, id string) error
	InterruptOrphans(ctx context.Context, ttl time.Duration, now time.Time, end store.EndFunc) ([]string, error)
	CancelRequests(ctx context.Context, owner string) ([]string, error)
}

// Defaults: a lease renewed every 2 s and expired after 10 s, so a dead
// replica is noticed within 12 s and a replica survives four missed beats
// (a busy database, a pause) before the others give it up.
const (
	DefaultInterval = 2 * time.Second
	DefaultTTL      = 10 * time.Second
)

// Member is one replica's lease.
type Member struct {
	// ID is the replica's id (NewID).
	ID    string
	Store Store
	// End says how an orphaned run ends (pipeline.Ending).
	End store.EndFunc
	// Interval and TTL default to DefaultInterval and DefaultTTL.
	Interval, TTL time.Duration
	// Cancel cancels a run executing here whose cancel was requested
	// elsewhere: the check behind the notification, which may be lost.
	Cancel func(runID string)
	// Lost is called when the lease was found gone: the others declared
	// this replica dead and interrupted its runs, so the runs still
	// executing here are to end.
	Lost func()
	Log  *slog.Logger
}

// NewID returns a random replica id.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (m *Member) defaults() {
	if m.Interval <= 0 {
		m.Interval = DefaultInterval
	}
	if m.TTL <= 0 {
		m.TTL = DefaultTTL
	}
	if m.Log == nil {
		m.Log = slog.New(slog.DiscardHandler)
	}
}

// Join takes the lease and ends the runs of dead replicas: called once,
// before the replica serves. It returns the ids of the runs it ended.
func (m *Member) Join(ctx context.Context) ([]string, error) {
	m.defaults()
	if _, err := m.Store.Beat(ctx, m.ID); err != nil {
		return nil, err
	}
	return m.Store.InterruptOrphans(ctx, m.TTL, time.Now(), m.End)
}

// Run renews the lease every Interval until ctx ends, ending the runs of
// dead replicas and acting on cancel requests each time. It does not give
// the lease up: Leave does, after a clean stop.
func (m *Member) Run(ctx context.Context) {
	m.defaults()
	t := time.NewTicker(m.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m.tick(ctx)
	}
}

func (m *Member) tick(ctx context.Context) {
	had, err := m.Store.Beat(ctx, m.ID)
	if err != nil {
		if ctx.Err() == nil {
			m.Log.Warn("replica lease not renewed", "replica", m.ID, "err", err)
		}
		return
	}
	if !had {
		m.Log.Error("the other replicas declared this one dead: its runs were interrupted", "replica", m.ID)
		if m.Lost != nil {
			m.Lost()
		}
	}
	ids, err := m.Store.InterruptOrphans(ctx, m.TTL, time.Now(), m.End)
	if err != nil && ctx.Err() == nil {
		m.Log.Warn("interrupt the runs of dead replicas", "err", err)
	}
	if len(ids) > 0 {
		m.Log.Warn("runs of a dead replica are now interrupted", "count", len(ids), "runs", ids)
	}
	if m.Cancel == nil {
		return
	}
	cancels, err := m.Store.CancelRequests(ctx, m.ID)
	if err != nil && ctx.Err() == nil {
		m.Log.Warn("read cancel requests", "err", err)
	}
	for _, id := range cancels {
		m.Cancel(id)
	}
}

// Leave gives the lease up: after a clean stop, when no run executes here.
func (m *Member) Leave(ctx context.Context) error {
	return m.Store.Leave(ctx, m.ID)
}
