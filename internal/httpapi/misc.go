package httpapi

import (
	"net/http"
	"sort"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// info tells the UI how the server runs (demo mode, limits).
func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"demo": s.cfg.Demo, "max_prompt_chars": 4000})
}

func (s *Server) listBackends(w http.ResponseWriter, r *http.Request) {
	list := []BackendStatus{}
	if s.cfg.Backends != nil {
		list = append(list, s.cfg.Backends.Backends(r.Context())...)
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	writeJSON(w, http.StatusOK, map[string]any{"backends": list})
}
