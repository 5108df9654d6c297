package events

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// Bus carries short notes between the replicas sharing one store
// (docs/deploy.md, "How replicas cooperate"); the PostgreSQL store
// implements it with LISTEN/NOTIFY. A payload holds one note or several,
// one a line; notes are text, "<kind> <run id> ...":
//
//	e <run> <seq>                    an event was stored (sent by the store itself)
//	c <run>                          a cancel of the run was requested (sent by the store)
//	t <run> <after> <type> <data>    a transient event, published after stored event <after>
//	w <run>                          a follower on another replica watches the run
//
// The hub packs the notes it sends into as few payloads as it can: under
// load, the ticks of hundreds of waiting runs go out in a few NOTIFYs a
// second instead of one each.
type Bus interface {
	// Notify sends payload to every replica's Listen, this one's included.
	Notify(ctx context.Context, payload string) error
	// Listen calls fn with every payload, in order, until ctx ends; connected
	// after every (re)connection, as notes sent while it was down are lost.
	Listen(ctx context.Context, fn func(payload string), connected func()) error
}

// maxNote is the longest payload sent: PostgreSQL's NOTIFY takes under
// 8000 bytes. A transient event whose note is longer is not relayed (its
// followers elsewhere get the next stored event as usual).
const maxNote = 7999

// Watch notes: a follower of a run executing elsewhere sends one every
// watchEvery; the executing replica counts the run as watched until
// watchTTL after the last.
const (
	watchEvery = 5 * time.Second
	watchTTL   = 3 * watchEvery
)

// WithBus links the hub with the hubs of other replicas through b: Run
// must then run for followers here to hear of runs executing elsewhere.
func WithBus(b Bus) Option { return func(h *Hub) { h.bus = b } }

// WithCancel sets what the hub calls when the bus says a cancel of a run
// was requested (on any replica); fn ignores runs not executing here.
func WithCancel(fn func(runID string)) Option { return func(h *Hub) { h.onCancel = fn } }

// remote is a run followed here that executes on another replica: its
// followers read its events from the store and wait on changed, which the
// bus closes when the run has news. Guarded by Hub.mu.
type remote struct {
	followers int
	changed   chan struct{}
	transient *store.Event // latest transient event, nil once a stored one follows
	after     int64        // the stored event the transient one follows
	tcount    uint64
	// seq is the highest stored event the bus announced (or a transient
	// one followed), epoch counts reconnections of the bus: a follower
	// reads the store only when either moved past what it has.
	seq   int64
	epoch uint64
}

// remoteNews is how far a follower has taken note of a remote's news.
type remoteNews struct{ epoch uint64 }

func (r *remote) wake() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// outgoing is a note waiting to be sent. A transient one is sent only if
// its topic still holds it then, so a late note cannot follow a newer
// stored event.
type outgoing struct {
	note string
	t    *topic
	ev   *store.Event
}

// Run relays notes between this hub and the bus until ctx ends: it hears
// the other replicas (and the store) and sends this hub's notes. Without a
// bus it only waits for ctx.
func (h *Hub) Run(ctx context.Context) error {
	if h.bus == nil {
		<-ctx.Done()
		return nil
	}
	var wg sync.WaitGroup
	wg.Go(func() { h.sendNotes(ctx) })
	err := h.bus.Listen(ctx, h.receive, h.resync)
	wg.Wait()
	return err
}

// sendNotes sends the queued notes until ctx ends, as many to a payload
// as fit: whatever queued up while the last NOTIFY was under way goes out
// in the next. A transient note whose event is no longer its topic's latest
// is dropped. A lost payload costs a follower at most a transient event or
// a watch period; nothing stored is lost.
func (h *Hub) sendNotes(ctx context.Context) {
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			_ = h.bus.Notify(ctx, b.String())
			b.Reset()
		}
	}
	for {
		var o outgoing
		select {
		case <-ctx.Done():
			return
		case o = <-h.out:
		}
		for more := true; more; {
			if o.current() {
				if b.Len() > 0 && b.Len()+1+len(o.note) > maxNote {
					flush()
				}
				if b.Len() > 0 {
					b.WriteByte('\n')
				}
				b.WriteString(o.note)
			}
			select {
			case o = <-h.out:
			default:
				more = false
			}
		}
		flush()
	}
}

// current reports whether a note is still worth sending: a transient one
// only while its topic holds its event.
func (o outgoing) current() bool {
	if o.t == nil {
		return true
	}
	o.t.mu.Lock()
	defer o.t.mu.Unlock()
	return o.t.transient == o.ev && !o.t.closed
}

// send queues a note; when the queue is full the note is dropped.
func (h *Hub) send(o outgoing) {
	if h.out == nil || len(o.note) > maxNote {
		return
	}
	select {
	case h.out <- o:
	default:
	}
}

// relayTransient sends a transient event of a run watched elsewhere; t.mu
// is held.
func (h *Hub) relayTransient(t *topic, e *store.Event, after int64) {
	if bytes.IndexByte(e.Data, '\n') >= 0 {
		return // notes are lines; encoded JSON has no raw newline anyway
	}
	h.send(outgoing{note: "t " + e.RunID + " " + strconv.FormatInt(after, 10) + " " + e.Type + " " + string(e.Data), t: t, ev: e})
}

// receive handles one payload from the bus: one note a line.
func (h *Hub) receive(payload string) {
	for note := range strings.SplitSeq(payload, "\n") {
		h.receiveNote(note)
	}
}

// receiveNote handles one note.
func (h *Hub) receiveNote(note string) {
	kind, rest, _ := strings.Cut(note, " ")
	runID, rest, _ := strings.Cut(rest, " ")
	switch kind {
	case "e":
		seq, _ := strconv.ParseInt(rest, 10, 64)
		h.mu.Lock()
		if r := h.remotes[runID]; r != nil {
			if r.transient != nil && seq > r.after {
				r.transient = nil
			}
			r.seq = max(r.seq, seq)
			r.wake()
		}
		h.mu.Unlock()
	case "t":
		after, rest, _ := strings.Cut(rest, " ")
		typ, data, _ := strings.Cut(rest, " ")
		seq, err := strconv.ParseInt(after, 10, 64)
		if err != nil || typ == "" {
			return
		}
		h.mu.Lock()
		if r := h.remotes[runID]; r != nil {
			r.tcount++
			r.transient = &store.Event{RunID: runID, Type: typ, Data: []byte(data), At: h.now().UTC()}
			r.after = seq
			r.seq = max(r.seq, seq)
			r.wake()
		}
		h.mu.Unlock()
	case "w":
		if t := h.topic(runID); t != nil {
			t.mu.Lock()
			t.remoteUntil = h.now().Add(watchTTL)
			t.mu.Unlock()
		}
	case "c":
		if h.onCancel != nil {
			h.onCancel(runID)
		}
	}
}

// resync wakes every follower of a run executing elsewhere, so it reads the
// store again: notes sent while the bus was down are lost.
func (h *Hub) resync() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.remotes {
		r.epoch++
		r.wake()
	}
}

// followRemote registers a follower of a run that is not live here and
// returns the function that ends it.
func (h *Hub) followRemote(runID string) func() {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.remotes[runID]
	if r == nil {
		r = &remote{changed: make(chan struct{})}
		h.remotes[runID] = r
	}
	r.followers++
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if r.followers--; r.followers == 0 && h.remotes[runID] == r {
			delete(h.remotes, runID)
		}
	}
}

// remoteChanged returns the channel closed on the next news of a run
// followed here (nil if it is not).
func (h *Hub) remoteChanged(runID string) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.remotes[runID]; r != nil {
		return r.changed
	}
	return nil
}

// remoteHasNews reports whether a follower at seq, having seen news, must
// read the store: the bus announced a later stored event, or reconnected
// (notes may have been lost). It records what it reported in news.
func (h *Hub) remoteHasNews(runID string, seq int64, news *remoteNews) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.remotes[runID]
	if r == nil {
		return true
	}
	if r.epoch != news.epoch {
		news.epoch = r.epoch
		return true
	}
	return r.seq > seq
}

// remoteTransient returns the transient event of a run followed here if a
// reader at cur has not seen it and it follows the last stored event the
// reader has; one that an event the reader has already outdated is
// skipped.
func (h *Hub) remoteTransient(runID string, cur *Cursor) []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.remotes[runID]
	if r == nil || r.transient == nil || r.tcount <= cur.Transient || r.after > cur.Seq {
		return nil
	}
	cur.Transient = r.tcount
	if r.after < cur.Seq {
		return nil
	}
	return []Event{*r.transient}
}

// watchNote tells the replica executing runID that a follower here watches it.
func (h *Hub) watchNote(runID string) {
	h.send(outgoing{note: "w " + runID})
}
