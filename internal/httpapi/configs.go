package httpapi

import (
	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"net/http"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
)

func (s *Server) listConfigs(w http.ResponseWriter, r *http.Request) {
	kind := r.URL.Query().Get("kind")
	if kind != "" && kind != "interception" && kind != "output" {
		s.fail(w, r, fault.Invalid("kind", `kind muss "interception" oder "output" sein.`, `kind must be "interception" or "output".`))
		return
	}
	out := []catalog.Summary{}
	if kind == "" || kind == "interception" {
		for _, c := range s.cfg.Catalog.Interceptions() {
			out = append(out, c.Summary())
		}
	}
	if kind == "" || kind == "output" {
		for _, c := range s.cfg.Catalog.Outputs() {
			out = append(out, c.Summary())
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"configs": out})
}

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if c, ok := s.cfg.Catalog.Interception(id); ok {
		writeJSON(w, http.StatusOK, map[string]any{"kind": "interception", "config": c})
		return
	}
	if c, ok := s.cfg.Catalog.Output(id); ok {
		writeJSON(w, http.StatusOK, map[string]any{"kind": "output", "config": c})
		return
	}
	s.fail(w, r, fault.New(api.CodeUnknownConfig, "Diese Verwandlung gibt es nicht: "+quote(id), "No config with id "+quote(id)+"."))
}
