package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/events"
	"github.com/ai4artsed/ai4artsed/internal/fault"
)

// writeTimeout bounds one write to an SSE client, so a client that stopped
// reading cannot hold a handler forever.
const writeTimeout = 30 * time.Second

// runEvents streams a run's events as SSE (docs/api.md, "Events"): what is
// stored after Last-Event-ID, then live events, with a ping comment every
// Ping. It returns after the run's done event, when the client leaves, or on
// shutdown. Hub.Follow does the replay and the waiting.
func (s *Server) runEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var after int64
	if h := r.Header.Get("Last-Event-ID"); h != "" {
		n, err := strconv.ParseInt(h, 10, 64)
		if err != nil || n < 0 {
			s.fail(w, r, fault.New(api.CodeInvalidRequest, "Last-Event-ID muss eine nicht-negative Zahl sein, nicht "+quote(h)+".",
				"Last-Event-ID must be a non-negative number, got "+quote(h)+"."))
			return
		}
		after = n
	}
	if _, err := s.cfg.Store.GetRun(r.Context(), id); err != nil {
		s.failStore(w, r, err)
		return
	}

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	// net/http already buffers the response; each batch of events is
	// flushed once.
	flush := func() error {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		return rc.Flush()
	}
	if flush() != nil {
		return
	}
	ctx, stop := context.WithCancel(r.Context())
	defer stop()
	defer context.AfterFunc(s.closing, stop)()
	_ = s.cfg.Hub.Follow(ctx, id, after, events.Watcher{
		Event: func(e events.Event) error {
			if e.Seq > 0 {
				_, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, e.Data)
				return err
			}
			// Transient: no id, so Last-Event-ID stays on the stored events.
			_, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Type, e.Data)
			return err
		},
		Batch: flush,
		Ping:  s.cfg.Ping,
		OnPing: func() error {
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
				return err
			}
			return flush()
		},
	})
}
