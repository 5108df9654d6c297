package httpapi

import (
	"context"
	"fmt"
	"github.com/ai4artsed/ai4artsed/internal/events"
	"io"
	"net/http"
	"strconv"
	"time"
)

// writeTimeout bounds one write to an SSE client, so a client that stopped
// reading cannot hold a handler forever.
const writeTimeout = 30 * time.Second

// runEvents streams a run's events as SSE: first what is stored after
// Last-Event-ID, then live events, with a ping comment every Ping. It returns
// after the run's done event, when the client leaves, or on shutdown.
func (s *Server) runEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var cur events.Cursor
	if h := r.Header.Get("Last-Event-ID"); h != "" {
		n, err := strconv.ParseInt(h, 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "invalid_request", "Last-Event-ID must be a non-negative number, got "+quote(h))
			return
		}
		cur.Seq = n
	}
	if _, err := s.cfg.Store.GetRun(r.Context(), id); err != nil {
		s.failStore(w, r, err, "run")
		return
	}
	unwatch := s.cfg.Hub.Watch(id)
	defer unwatch()

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	// net/http already buffers the response; each batch of events is
	// flushed once.
	flush := func() bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		return rc.Flush() == nil
	}
	if !flush() {
		return
	}
	ping := time.NewTicker(s.cfg.Ping)
	defer ping.Stop()
	ctx := r.Context()
	for {
		evs, next, changed, err := s.cfg.Hub.Since(ctx, id, cur)
		if err != nil {
			return
		}
		cur = next
		for _, e := range evs {
			if e.Seq > 0 {
				fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, e.Data)
			} else { // transient: no id, so Last-Event-ID stays on the stored events
				fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Type, e.Data)
			}
			if e.Type == "done" {
				flush()
				return
			}
		}
		if len(evs) > 0 && !flush() {
			return
		}
		if changed == nil {
			// Not live and no done event yet: the run is being created or
			// was left unfinished by an older process; look again shortly.
			if s.finishedWithoutDone(ctx, id) {
				return
			}
			t := time.NewTimer(100 * time.Millisecond)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			case <-s.quit:
				t.Stop()
				return
			}
			continue
		}
		select {
		case <-changed:
		case <-ping.C:
			io.WriteString(w, ": ping\n\n")
			if !flush() {
				return
			}
		case <-ctx.Done():
			return
		case <-s.quit:
			return
		}
	}
}

func (s *Server) finishedWithoutDone(ctx context.Context, id string) bool {
	run, err := s.cfg.Store.GetRun(ctx, id)
	return err != nil || run.State.Final()
}
