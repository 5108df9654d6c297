package httpapi

import (
	"net/http"
	"sort"

	"github.com/ai4artsed/ai4artsed/api"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, api.Health{Status: "ok"})
}

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
