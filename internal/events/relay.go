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
// The hub packs the notes it sends into as few payloads as it can and
// sends them in one Notify: under load, the ticks of hundreds of waiting
// runs go out in one round trip a second instead of one each.
type Bus interface {
	// Notify sends the payloads, in order, to every replica's Listen, this
	// one's included.
	Notify(ctx context.Context, payloads ...string) error
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

// outbox holds the notes waiting to be sent: for each topic only that it
// has a transient event to relay (its latest is read when sending), for
// each run one watch note. So a busy bus never drops a note for want of
// room and never sends a tick that a newer one or a stored event replaced.
type outbox struct {
	mu      sync.Mutex
	ticks   map[*topic]struct{}
	watches map[string]struct{}
	wake    chan struct{} // holds one token while the outbox has notes
}

func newOutbox() *outbox {
	return &outbox{ticks: map[*topic]struct{}{}, watches: map[string]struct{}{}, wake: make(chan struct{}, 1)}
}

func (o *outbox) ring() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// take empties the outbox.
func (o *outbox) take() (ticks []*topic, watches []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for t := range o.ticks {
		ticks = append(ticks, t)
	}
	for id := range o.watches {
		watches = append(watches, id)
	}
	clear(o.ticks)
	clear(o.watches)
	return ticks, watches
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

// sendNotes sends what the outbox holds until ctx ends, in one Notify:
// what gathered while the last one was under way goes out in the next. A
// lost Notify costs a follower at most a transient event or a watch
// period; nothing stored is lost.
func (h *Hub) sendNotes(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.outbox.wake:
		}
		ticks, watches := h.outbox.take()
		notes := make([]string, 0, len(ticks)+len(watches))
		for _, t := range ticks {
			if n, ok := t.tickNote(); ok {
				notes = append(notes, n)
			}
		}
		for _, id := range watches {
			notes = append(notes, "w "+id)
		}
		if payloads := pack(notes); len(payloads) > 0 {
			_ = h.bus.Notify(ctx, payloads...)
		}
	}
}

// pack joins notes into payloads of at most maxNote bytes, one note a
// line; a note that is alone too long is left out.
func pack(notes []string) []string {
	var out []string
	var b strings.Builder
	for _, n := range notes {
		if len(n) > maxNote {
			continue
		}
		if b.Len() > 0 && b.Len()+1+len(n) > maxNote {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(n)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// tickNote is the note of the topic's latest transient event, if it has
// one not yet sent.
func (t *topic) tickNote() (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.transient
	if e == nil || t.closed || e == t.relayed || bytes.IndexByte(e.Data, '\n') >= 0 {
		return "", false // notes are lines; encoded JSON has no raw newline anyway
	}
	t.relayed = e
	return "t " + e.RunID + " " + strconv.FormatInt(t.tafter, 10) + " " + e.Type + " " + string(e.Data), true
}

// relayTransient queues the latest transient event of a run watched
// elsewhere; t.mu is held.
func (h *Hub) relayTransient(t *topic) {
	h.outbox.mu.Lock()
	h.outbox.ticks[t] = struct{}{}
	h.outbox.mu.Unlock()
	h.outbox.ring()
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
	h.outbox.mu.Lock()
	h.outbox.watches[runID] = struct{}{}
	h.outbox.mu.Unlock()
	h.outbox.ring()
}
