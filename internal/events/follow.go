package events

import (
	"context"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// Watcher receives what Follow reads. Only Event is required.
type Watcher struct {
	// Event is called for each event in order; an error stops Follow and
	// is returned.
	Event func(e Event) error
	// Batch, if set, is called after each batch of events, so a writer can
	// flush once per batch; an error stops Follow.
	Batch func() error
	// Ping, if positive, calls OnPing whenever that long passed without an
	// event; an error stops Follow.
	Ping   time.Duration
	OnPing func() error
	// Observe follows without watching: the run's Unwatched time goes on,
	// so an observer (the teacher's class view) never keeps a run that its
	// student left from being cancelled as abandoned.
	Observe bool
}

// Event is one event as Follow delivers it: stored events carry their
// sequence number, transient ones Seq 0.
type Event = store.Event

// Follow delivers the events of run runID after sequence number after: first
// what the store or memory holds, then live events as they are published. It
// returns nil after the done event, or when the run turns out finished
// without one (an older process ended it that way); ctx's error when ctx
// ends; store.ErrNotFound (wrapped) for an unknown run. While the run is live
// it waits for wake-ups, never polling; a run that is neither live here nor
// finished (left by another process) is looked at every second.
func (h *Hub) Follow(ctx context.Context, runID string, after int64, w Watcher) error {
	var unwatch func()
	if w.Observe {
		unwatch = h.observe()
	} else {
		unwatch = h.watch(runID)
	}
	defer unwatch()
	var tick <-chan time.Time
	if w.Ping > 0 && w.OnPing != nil {
		t := time.NewTicker(w.Ping)
		defer t.Stop()
		tick = t.C
	}
	cur := Cursor{Seq: after}
	deliver := func(evs []Event) (done bool, err error) {
		for _, e := range evs {
			if err := w.Event(e); err != nil {
				return false, err
			}
			if e.Type == string(api.EventDone) {
				done = true
				break
			}
		}
		if len(evs) > 0 && w.Batch != nil {
			if err := w.Batch(); err != nil {
				return false, err
			}
		}
		return done, nil
	}
	wait := func(changed <-chan struct{}) error {
		var poll <-chan time.Time
		if changed == nil {
			t := time.NewTimer(h.foreignPoll)
			defer t.Stop()
			poll = t.C
		}
		for {
			select {
			case <-changed:
				return nil
			case <-poll:
				return nil
			case <-tick:
				if err := w.OnPing(); err != nil {
					return err
				}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	for {
		if t := h.topic(runID); t != nil {
			evs, next, changed := t.since(cur)
			cur = next
			if done, err := deliver(evs); done || err != nil {
				return err
			}
			if changed == nil && h.topic(runID) == nil {
				continue // closed and stored: the store has the rest
			}
			// A closed topic still in memory waits for Flush; nothing
			// more is published to it.
			if err := wait(changed); err != nil {
				return err
			}
			continue
		}
		done, err := h.fromStore(ctx, runID, &cur, deliver)
		if done || err != nil {
			return err
		}
		if err := wait(nil); err != nil {
			return err
		}
	}
}

// fromStore delivers the stored events of a run that is not live here. done
// is true after the done event, or when the run is final without one.
func (h *Hub) fromStore(ctx context.Context, runID string, cur *Cursor, deliver func([]Event) (bool, error)) (bool, error) {
	read := func() (bool, error) {
		evs, err := h.store.Events(ctx, runID, cur.Seq)
		if err != nil {
			return false, err
		}
		if n := len(evs); n > 0 {
			cur.Seq = evs[n-1].Seq
		}
		return deliver(evs)
	}
	if done, err := read(); done || err != nil {
		return done, err
	}
	if h.topic(runID) != nil {
		return false, nil // it went live meanwhile: follow it there
	}
	run, err := h.store.GetRun(ctx, runID)
	if err != nil {
		return false, err
	}
	if !run.State.Final() {
		return false, nil
	}
	// Final: read once more for events stored between the two reads.
	if _, err := read(); err != nil {
		return false, err
	}
	return true, nil
}
