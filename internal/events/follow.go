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
// it waits for wake-ups, never polling. A run that is neither live here nor
// finished executes on another replica (or was left by another process):
// with a Bus its events are read from the store whenever the bus announces
// news of it, at the latest every 5 s, and a watch note tells its replica
// that it is watched; without one it is looked at every second.
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
	// wait returns when changed is closed (polled false) or pollc fires
	// (polled true).
	wait := func(changed <-chan struct{}, pollc <-chan time.Time) (polled bool, err error) {
		for {
			select {
			case <-changed:
				return false, nil
			case <-pollc:
				return true, nil
			case <-tick:
				if err := w.OnPing(); err != nil {
					return false, err
				}
			case <-ctx.Done():
				return false, ctx.Err()
			}
		}
	}
	var (
		unfollow  func() // set while following a run that is not live here
		lastWatch time.Time
		// read is set when the store must be read: at first, when the bus
		// announced a stored event past the cursor or reconnected, and
		// when poll fires. A transient note alone reads nothing.
		read  = true
		news  remoteNews
		poll  = time.NewTimer(time.Hour)
		pollc <-chan time.Time
	)
	poll.Stop()
	defer poll.Stop()
	defer func() {
		if unfollow != nil {
			unfollow()
		}
	}()
	for {
		if t := h.topic(runID); t != nil {
			evs, next, changed := t.since(cur)
			cur = next
			if done, err := deliver(evs); done || err != nil {
				return err
			}
			if changed == nil && h.topic(runID) == nil {
				read = true
				continue // closed and stored: the store has the rest
			}
			// A closed topic still in memory waits for Flush; nothing
			// more is published to it, and Flush is not announced, so it
			// is looked for now and then.
			var flushc <-chan time.Time
			if changed == nil {
				poll.Reset(h.foreignPoll)
				flushc = poll.C
			}
			if _, err := wait(changed, flushc); err != nil {
				return err
			}
			read = true // should it leave memory, the store has the rest
			continue
		}
		// Not live here: finished, or executing on another replica (or
		// left by another process). Register before reading, so news
		// that arrives during the read wakes the wait below.
		if unfollow == nil {
			unfollow = h.followRemote(runID)
		}
		changed := h.remoteChanged(runID)
		if read || h.remoteHasNews(runID, cur.Seq, &news) {
			done, final, err := h.fromStore(ctx, runID, &cur, deliver, read)
			if done || err != nil {
				return err
			}
			d := h.foreignPoll
			if h.bus != nil {
				d = min(d, watchEvery)
			}
			if final {
				d = min(d, finalGrace)
			}
			poll.Reset(d)
			pollc = poll.C
			read = false
			if h.topic(runID) != nil {
				continue // it went live meanwhile: follow it there
			}
		}
		if done, err := deliver(h.remoteTransient(runID, &cur)); done || err != nil {
			return err
		}
		if h.bus != nil && h.now().Sub(lastWatch) >= watchEvery {
			h.watchNote(runID)
			lastWatch = h.now()
		}
		polled, err := wait(changed, pollc)
		if err != nil {
			return err
		}
		if polled {
			read, pollc = true, nil
		}
	}
}

// fromStore delivers the stored events of a run that is not live here. done
// is true after the done event, or when the run is final without one;
// final when it is final and its done event may still come. The run's
// state is read too unless news brought new events and full is false: a
// run that stores events goes on (or its done event follows), and the
// next full read, at the latest after the follower's poll, looks again.
func (h *Hub) fromStore(ctx context.Context, runID string, cur *Cursor, deliver func([]Event) (bool, error), full bool) (done, final bool, err error) {
	before := cur.Seq
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
		return done, false, err
	}
	if h.topic(runID) != nil || !full && cur.Seq > before {
		return false, false, nil // live here meanwhile (follow it there), or going on
	}
	run, err := h.store.GetRun(ctx, runID)
	if err != nil {
		return false, false, err
	}
	if !run.State.Final() {
		return false, false, nil
	}
	// Final: read once more for events stored between the two reads.
	if done, err := read(); done || err != nil {
		return done, false, err
	}
	// Final without done: a run executing on another replica stores its
	// final state just before its error and done events, so they are
	// waited for a little; a run that ended so long ago (an older process
	// left it without done) ends the stream now.
	if run.FinishedAt == nil || h.now().Sub(*run.FinishedAt) >= finalGrace {
		return true, false, nil
	}
	return false, true, nil
}

// finalGrace is how long a follower waits for the done event of a run
// stored as final without one.
const finalGrace = 2 * time.Second
