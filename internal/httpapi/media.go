package httpapi

import (
	"net/http"

	"github.com/ai4artsed/ai4artsed/internal/media"
)

// getMedia serves a stored output. Files are named by content hash, so they
// never change: the hash is the ETag and clients may cache for a year.
func (s *Server) getMedia(w http.ResponseWriter, r *http.Request) {
	m, err := s.cfg.Store.GetMedia(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failStore(w, r, err)
		return
	}
	f, err := s.cfg.Files.Open(r.Context(), m.Hash, media.ExtFor(m.Mime))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", m.Mime)
	h.Set("ETag", `"`+m.Hash+`"`)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", m.CreatedAt, f)
}
