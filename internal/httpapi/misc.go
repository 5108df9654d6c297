package httpapi

import (
	"net/http"
	"sort"

	"github.com/ai4artsed/ai4artsed/api"
)

// healthz answers 200 "ok", or 503 "draining" once Drain was called, so a
// load balancer sends this replica nothing new while its runs finish.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, api.Health{Status: api.HealthDraining})
		return
	}
	writeJSON(w, http.StatusOK, api.Health{Status: api.HealthOK})
}

// Drain makes the server refuse new runs (503 shutting_down) and answer
// /healthz with 503, while everything else, the streams of runs in flight
// above all, goes on (docs/deploy.md, "Rolling restarts"). It cannot be
// undone; calling it twice is harmless.
func (s *Server) Drain() { s.draining.Store(true) }

// StartingRuns is how many POST /api/runs requests are being handled; after
// Drain, runs are only started by requests it counts, so a caller waiting
// for the runs in flight to end waits until it and the pipeline's count of
// active runs are both zero.
func (s *Server) StartingRuns() int { return int(s.starting.Load()) }

// info tells the UI how the server runs (demo mode, limits, default
// language, safety level).
func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	lang := s.cfg.Language
	if lang != "en" {
		lang = "de"
	}
	level := s.cfg.SafetyLevel
	if level == "" {
		level = "youth"
	}
	writeJSON(w, http.StatusOK, api.Info{
		Demo: s.cfg.Demo, MaxPromptChars: api.MaxPromptChars,
		Language: lang, SafetyLevel: level,
	})
}

func (s *Server) listBackends(w http.ResponseWriter, r *http.Request) {
	list := []api.Backend{}
	if s.cfg.Backends != nil {
		list = append(list, s.cfg.Backends.Backends(r.Context())...)
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	writeJSON(w, http.StatusOK, api.BackendList{Backends: list})
}
