package httpapi

import (
	"errors"
	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"net"
	"net/http"
	"strconv"

	"github.com/ai4artsed/ai4artsed/internal/pipeline"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

type createRunResponse struct {
	RunID     string `json:"run_id"`
	EventsURL string `json:"events_url"`
	State     string `json:"state"`
}

func (s *Server) createRun(w http.ResponseWriter, r *http.Request) {
	var req pipeline.Request
	if !s.decodeJSON(w, r, &req) {
		return
	}
	req.ClientID = clientID(r)
	if req.Lang == "" {
		req.Lang = acceptLang(r) // else the pipeline's default
	}
	run, err := s.cfg.Pipeline.Start(r.Context(), req)
	if err != nil {
		lang := req.Lang
		if lang != "de" && lang != "en" {
			lang = s.lang(r)
		}
		s.failLang(w, r, err, lang)
		return
	}
	writeJSON(w, http.StatusAccepted, createRunResponse{
		RunID: run.ID, EventsURL: "/api/runs/" + run.ID + "/events", State: string(run.State),
	})
}

// clientID is the per-browser id the UI sends, else the remote address.
func clientID(r *http.Request) string {
	if id := r.Header.Get("X-Client-ID"); id != "" && len(id) <= 128 {
		return "c:" + id
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "ip:" + host
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) {
	run, err := s.cfg.Store.GetRun(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failStore(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, runView(run))
}

func (s *Server) cancelRun(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.cfg.Pipeline.Cancel(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"run_id": id, "status": "cancelling"})
}

// failStore answers a store error: not found is 404 naming the id looked up.
func (s *Server) failStore(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		id := quote(r.PathValue("id"))
		s.fail(w, r, fault.New(api.CodeNotFound, "Das gibt es nicht: "+id, "Nothing with id "+id+" exists."))
		return
	}
	s.fail(w, r, err)
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return strconv.Quote(s)
}
