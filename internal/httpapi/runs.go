package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/pipeline"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// createRun starts a run (docs/api.md, "Runs").
func (s *Server) createRun(w http.ResponseWriter, r *http.Request) {
	s.starting.Add(1) // before the check: Drain's caller sees us or we see it
	defer s.starting.Add(-1)
	if s.draining.Load() {
		w.Header().Set("Retry-After", "1")
		s.fail(w, r, fault.ErrShuttingDown)
		return
	}
	var body api.RunRequest
	if !s.decodeJSON(w, r, &body) {
		return
	}
	req := pipelineRequest(body)
	req.ClientID = s.clientID(r)
	if req.Lang == "" {
		req.Lang = acceptLang(r) // else the pipeline's default
	}
	giveBack, err := s.workshopGate(r, &req)
	var run *store.Run
	if err == nil {
		if run, err = s.cfg.Pipeline.Start(r.Context(), req); err != nil {
			giveBack() // a refused run does not count against the hour
		}
	}
	if err != nil {
		lang := req.Lang
		if lang != "de" && lang != "en" {
			lang = s.lang(r)
		}
		s.failLang(w, r, err, lang)
		return
	}
	writeJSON(w, http.StatusAccepted, api.RunCreated{
		RunID: run.ID, EventsURL: "/api/runs/" + run.ID + "/events", State: api.RunState(run.State),
	})
}

// pipelineRequest converts the wire body into the pipeline's request.
func pipelineRequest(b api.RunRequest) pipeline.Request {
	req := pipeline.Request{
		Stages: b.Stages, Prompt: b.Prompt, Text: b.Text, Interception: b.Interception, Context: b.Context,
		Output: b.Output, SafetyLevel: b.SafetyLevel, Lang: b.Lang, Seed: b.Seed, Uploads: b.Uploads,
		SourceRun: b.SourceRun,
	}
	for _, l := range b.LoRAs {
		req.LoRAs = append(req.LoRAs, catalog.LoRA(l))
	}
	return req
}

// clientID is the per-browser id the UI sends, else a keyed digest of the
// remote address: runs store the client id, and IP addresses are not
// stored (docs/privacy.md).
func (s *Server) clientID(r *http.Request) string {
	if id := r.Header.Get("X-Client-ID"); id != "" && len(id) <= 128 {
		return "c:" + id
	}
	return "ip:" + s.devices.Digest("ip:"+remoteHost(r))
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
	writeJSON(w, http.StatusAccepted, api.CancelAnswer{RunID: id, Status: api.CancelCancelling})
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
