package httpapi

import "net/http"

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/configs", s.listConfigs)
	mux.HandleFunc("GET /api/configs/{id}", s.getConfig)
	mux.HandleFunc("POST /api/runs", s.createRun)
	mux.HandleFunc("GET /api/runs/{id}", s.getRun)
	mux.HandleFunc("GET /api/runs/{id}/events", s.runEvents)
	mux.HandleFunc("POST /api/runs/{id}/cancel", s.cancelRun)
	mux.HandleFunc("POST /api/uploads", s.createUpload)
	mux.HandleFunc("GET /api/media/{id}", s.getMedia)
	mux.HandleFunc("GET /api/backends", s.listBackends)
	mux.HandleFunc("GET /api/info", s.info)
	mux.HandleFunc("GET /healthz", s.healthz)
	if s.cfg.Metrics != nil {
		mux.Handle("GET /metrics", s.cfg.Metrics.Handler())
	}
	s.adminRoutes(mux)
	mux.HandleFunc("/api/", s.notFound)
	if s.cfg.Web != nil {
		mux.Handle("/", getOnly(s.cfg.Web))
	}
	return s.recoverPanics(s.deadlines(mux))
}

// getOnly answers 405 to anything but GET and HEAD.
func getOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here")
			return
		}
		h.ServeHTTP(w, r)
	})
}
