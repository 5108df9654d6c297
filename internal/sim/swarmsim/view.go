package swarmsim

import (
	"net/http"
	"strconv"
	"strings"
)

// serveView is GET /View/{path}: a stored image, or SwarmUI's JSON errors.
func (s *Server) serveView(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/View/")
	for seg := range strings.SplitSeq(p, "/") {
		if seg == ".." || seg == "." {
			writeError(w, http.StatusBadRequest, "bad_path", "Invalid path.")
			return
		}
	}
	user, _, _ := strings.Cut(p, "/")
	if user != "local" {
		writeError(w, http.StatusBadRequest, "invalid_user", "Invalid user.")
		return
	}
	s.mu.Lock()
	data, ok := s.images[p]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "404, file not found.", "error_id": "file_not_found"})
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "no-cache")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(data)
}
