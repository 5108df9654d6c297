package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/export"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// exportWorkshop streams the workshop's research record as a zip
// (docs/api.md, "Research export"): its own teacher or an admin only. The
// archive is written while runs and images are read, so the answer's
// headers go out with its first bytes; an error before them is an error
// answer, one after them aborts the connection (the client sees a
// truncated download).
func (s *Server) exportWorkshop(w http.ResponseWriter, r *http.Request, u *store.User) {
	ws, err := s.ownWorkshop(r, u)
	if err == nil && s.exporter == nil {
		err = fmt.Errorf("export is off: %w", fault.ErrNotFound)
	}
	if err != nil {
		s.failStore(w, r, err)
		return
	}
	now := s.cfg.Now()
	zw := &zipAnswer{w: w, rc: http.NewResponseController(w), timeout: s.cfg.Timeouts.Write,
		name: export.FileName(*ws, now)}
	c, err := s.exporter.Write(r.Context(), zw, *ws)
	if err != nil && !zw.started {
		s.failStore(w, r, err)
		return
	}
	if err != nil {
		s.log.Error("export failed midway", "workshop", ws.ID, "account", u.Name, "err", err)
		panic(http.ErrAbortHandler)
	}
	s.log.Info("workshop exported", "workshop", ws.ID, "account", u.Name, "runs", c.Runs, "media", c.Media,
		"missing_media", c.MissingMedia, "ms", time.Since(now).Milliseconds())
}

// zipAnswer sends the headers of a zip download with its first bytes and
// gives every write the server's write timeout anew: an archive of a
// class takes longer than one response may, as long as it keeps moving.
type zipAnswer struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	timeout  time.Duration
	name     string
	started  bool
	deadline time.Time
}

func (z *zipAnswer) Write(p []byte) (int, error) {
	if !z.started {
		z.started = true
		h := z.w.Header()
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", `attachment; filename="`+z.name+`"`)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		z.w.WriteHeader(http.StatusOK)
	}
	if now := time.Now(); now.After(z.deadline.Add(-z.timeout + time.Second)) {
		z.deadline = now.Add(z.timeout)
		_ = z.rc.SetWriteDeadline(z.deadline) // a test recorder takes none
	}
	return z.w.Write(p)
}
