package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/events"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// ClassStore is what the class view reads of the store; store.Store
// implements it.
type ClassStore interface {
	ClassRuns(ctx context.Context, id string, since time.Time, limit int) ([]store.ClassRun, error)
	Events(ctx context.Context, runID string, afterSeq int64) ([]store.Event, error)
}

// Signal wakes class views: the pipeline notifies a workshop's id when it
// stores a new run of it, the teacher routes when they change it;
// *events.Signal implements it.
type Signal interface {
	Notify(key string)
	Wait(key string) <-chan struct{}
}

const (
	// classRuns is how many of a workshop's latest runs the class view
	// starts with, and reads at most per look at the store.
	classRuns = 100
	// classOverlap: the class view looks for new runs from this long before
	// the newest it has, as another process may store a run late.
	classOverlap = time.Minute
	// classPending bounds the changes waiting for a slow client.
	classPending = 4096
)

// classLive streams the live class view of a workshop as SSE (docs/api.md,
// "Class view"): the workshop's state, a snapshot of its latest runs, then
// each run's summary whenever it changes, followed through the event hub.
// New runs are found when the pipeline rings the workshop's signal, and by
// a look at the store every ClassPoll for runs of other processes. It
// returns when the client leaves, the workshop is deleted, or on shutdown.
func (s *Server) classLive(w http.ResponseWriter, r *http.Request, u *store.User) {
	ws, err := s.ownWorkshop(r, u)
	if err != nil {
		s.failStore(w, r, err)
		return
	}
	if s.cfg.Class == nil {
		s.fail(w, r, errNoWorkshops)
		return
	}
	ctx, stop := context.WithCancel(r.Context())
	v := &classView{s: s, id: ws.ID, runs: make(map[string]*api.ClassRun), changed: make(chan struct{}, 1)}
	defer func() { stop(); v.wg.Wait() }() // every follower has ended when the handler returns
	defer context.AfterFunc(s.closing, stop)()
	// Wait on the signal before reading the store, and again before each
	// look at it: a run stored in between rings the new wait.
	var bell <-chan struct{}
	if s.cfg.Signal != nil {
		bell = s.cfg.Signal.Wait(ws.ID)
	}
	snapshot, seen, err := v.load(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	flush := func() error {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		return rc.Flush()
	}
	state := s.classWorkshop(ws)
	if writeEvent(w, state) != nil || writeEvent(w, snapshot) != nil || flush() != nil {
		return
	}
	v.followUnfinished(ctx, snapshot.Runs, seen)

	poll := time.NewTicker(s.cfg.ClassPoll)
	defer poll.Stop()
	ping := time.NewTicker(s.cfg.Ping)
	defer ping.Stop()
	for {
		look := false
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil || flush() != nil {
				return
			}
			continue
		case <-v.changed:
		case <-bell:
			look = true
		case <-poll.C:
			look = true
		}
		if look {
			if s.cfg.Signal != nil {
				bell = s.cfg.Signal.Wait(ws.ID)
			}
			next, err := s.cfg.Workshops.GetWorkshop(ctx, ws.ID)
			if errors.Is(err, store.ErrNotFound) {
				return // deleted: nothing more to show
			}
			if err == nil {
				if now := s.classWorkshop(next); !classWorkshopEqual(now, state) {
					state = now
					if writeEvent(w, state) != nil {
						return
					}
				}
				err = v.lookForRuns(ctx)
			}
			if err != nil && ctx.Err() == nil {
				s.log.Warn("class view: read the store", "workshop", ws.ID, "err", err)
			}
		}
		if v.writePending(w) != nil || flush() != nil {
			return
		}
	}
}

// classView is one teacher's live view of a workshop: the summaries of the
// runs it knows, the goroutines following the unfinished ones, and the
// summaries they changed that are not written yet.
type classView struct {
	s  *Server
	id string
	wg sync.WaitGroup

	mu     sync.Mutex
	runs   map[string]*api.ClassRun
	order  []string  // run ids, oldest first
	newest time.Time // creation time of the newest run known
	// pending holds a summary for each change not written yet, in order;
	// past classPending the view gives up on a client that does not read.
	pending  []api.Event
	overflow bool
	// changed gets a token when pending grew.
	changed chan struct{}
}

// load reads the workshop's latest runs and their stored events into the
// snapshot, newest first, and returns for each run the sequence number of
// the last event folded in.
func (v *classView) load(ctx context.Context) (api.ClassSnapshot, map[string]int64, error) {
	recs, err := v.s.cfg.Class.ClassRuns(ctx, v.id, time.Time{}, classRuns)
	if err != nil {
		return api.ClassSnapshot{}, nil, err
	}
	seen := make(map[string]int64, len(recs))
	snap := api.ClassSnapshot{Runs: make([]api.ClassRun, 0, len(recs))}
	for i := len(recs) - 1; i >= 0; i-- { // oldest first into the view
		c := classRunOf(&recs[i])
		evs, err := v.s.cfg.Class.Events(ctx, c.RunID, 0)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return api.ClassSnapshot{}, nil, err
		}
		for _, e := range evs {
			foldEvent(c, e)
		}
		if n := len(evs); n > 0 {
			seen[c.RunID] = evs[n-1].Seq
		}
		v.add(c, recs[i].CreatedAt)
	}
	// The snapshot shares the summaries' slices: it is written before any
	// follower starts changing them.
	for i := len(v.order) - 1; i >= 0; i-- {
		snap.Runs = append(snap.Runs, *v.runs[v.order[i]])
	}
	return snap, seen, nil
}

// add records a run the view did not know.
func (v *classView) add(c *api.ClassRun, created time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.runs[c.RunID] = c
	v.order = append(v.order, c.RunID)
	if created.After(v.newest) {
		v.newest = created
	}
}

// followUnfinished follows every unfinished run of the snapshot after the
// events it holds already.
func (v *classView) followUnfinished(ctx context.Context, runs []api.ClassRun, seen map[string]int64) {
	for _, c := range runs {
		if !c.State.Final() {
			v.follow(ctx, c.RunID, seen[c.RunID])
		}
	}
}

// lookForRuns adds the workshop's runs the view does not know yet, from
// shortly before the newest it has, and follows each from its start.
func (v *classView) lookForRuns(ctx context.Context) error {
	v.mu.Lock()
	since := time.Time{}
	if !v.newest.IsZero() {
		since = v.newest.Add(-classOverlap)
	}
	v.mu.Unlock()
	recs, err := v.s.cfg.Class.ClassRuns(ctx, v.id, since, classRuns)
	if err != nil {
		return err
	}
	slices.Reverse(recs) // oldest first
	for i := range recs {
		v.mu.Lock()
		_, known := v.runs[recs[i].ID]
		v.mu.Unlock()
		if known {
			continue
		}
		// Its events, from the first (queued), make its summaries.
		v.add(classRunOf(&recs[i]), recs[i].CreatedAt)
		v.follow(ctx, recs[i].ID, 0)
	}
	return nil
}

// follow folds the run's events after sequence number after into its
// summary until its done event or until ctx ends. It observes the run
// without watching it, so a run its student left is still cancelled.
func (v *classView) follow(ctx context.Context, runID string, after int64) {
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		err := v.s.cfg.Hub.Follow(ctx, runID, after, events.Watcher{
			Observe: true,
			Event:   func(e events.Event) error { return v.apply(runID, e) },
		})
		if err != nil && ctx.Err() == nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, errClassSlow) {
			v.s.log.Warn("class view: follow a run", "workshop", v.id, "run", runID, "err", err)
		}
	}()
}

// apply folds an event into a run's summary and, when it changed, queues
// the summary for the writer. It never blocks: a client that reads too
// slowly is given up (errClassSlow stops the follower).
func (v *classView) apply(runID string, e events.Event) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.overflow {
		return errClassSlow
	}
	if !foldEvent(v.runs[runID], e) {
		return nil
	}
	enc, err := api.Encode(*v.runs[runID])
	if err != nil {
		return err
	}
	if len(v.pending) >= classPending {
		v.overflow, v.pending = true, nil
	} else {
		v.pending = append(v.pending, enc)
	}
	select {
	case v.changed <- struct{}{}:
	default: // a wake-up is pending already
	}
	return nil
}

// errClassSlow ends a class view whose client reads too slowly; it will
// reconnect and start from a new snapshot.
var errClassSlow = errors.New("class view: the client reads too slowly")

// writePending writes the queued summaries in order.
func (v *classView) writePending(w io.Writer) error {
	v.mu.Lock()
	out, overflow := v.pending, v.overflow
	v.pending = nil
	v.mu.Unlock()
	if overflow {
		return errClassSlow
	}
	for _, e := range out {
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Type, e.Data); err != nil {
			return err
		}
	}
	return nil
}

// writeEvent writes one event of a stream without an SSE id.
func writeEvent(w io.Writer, p api.Payload) error {
	e, err := api.Encode(p)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Type, e.Data)
	return err
}

// classWorkshop is the class view's state of ws with its quota now.
func (s *Server) classWorkshop(ws *store.Workshop) api.ClassWorkshop {
	return api.ClassWorkshop{ID: ws.ID, Name: ws.Name, Paused: ws.Paused, PauseMessage: ws.PauseMessage,
		Quota: s.quota(ws, "")}
}

func classWorkshopEqual(a, b api.ClassWorkshop) bool {
	ea, _ := api.Encode(a)
	eb, _ := api.Encode(b)
	return string(ea.Data) == string(eb.Data)
}

// quota is what is left of ws's hourly limits now; with a device id, its
// runs left too.
func (s *Server) quota(ws *store.Workshop, device string) api.Quota {
	now := s.cfg.Now()
	q := api.Quota{GenerationsPerHour: ws.Limits.GenerationsPerHour, RunsPerHour: ws.Limits.RunsPerHour,
		GenerationsUsed: s.generations.Count(ws.ID, now)}
	if q.GenerationsPerHour > 0 {
		q.GenerationsLeft = new(max(q.GenerationsPerHour-q.GenerationsUsed, 0))
	}
	if device != "" && q.RunsPerHour > 0 {
		q.RunsLeft = new(max(q.RunsPerHour-s.runsHour.Count(device, now), 0))
	}
	return q
}
