package httpapi

import (
	"crypto/subtle"
	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"net/http"
	"net/http/pprof"
	"strings"
)

// adminRoutes serves the runtime profiles under /debug/pprof/ for holders of
// the admin token. Without a token the admin API is off.
func (s *Server) adminRoutes() []route {
	if s.cfg.AdminToken == "" {
		return nil
	}
	return []route{
		{"GET /debug/pprof/", s.admin(http.HandlerFunc(pprof.Index))},
		{"GET /debug/pprof/cmdline", s.admin(http.HandlerFunc(pprof.Cmdline))},
		{"GET /debug/pprof/profile", s.admin(http.HandlerFunc(pprof.Profile))},
		{"GET /debug/pprof/symbol", s.admin(http.HandlerFunc(pprof.Symbol))},
		{"GET /debug/pprof/trace", s.admin(http.HandlerFunc(pprof.Trace))},
	}
}

// admin lets a request through only with "Authorization: Bearer <token>".
func (s *Server) admin(next http.Handler) http.Handler {
	want := []byte(s.cfg.AdminToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ai4artsed admin"`)
			s.fail(w, r, fault.New(api.CodeUnauthorized, "Die Admin-Routen brauchen einen Authorization: Bearer-Token.", "Admin routes need an Authorization: Bearer token."))
			return
		}
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			s.fail(w, r, fault.New(api.CodeForbidden, "Falscher Admin-Token.", "Wrong admin token."))
			return
		}
		next.ServeHTTP(w, r)
	})
}
