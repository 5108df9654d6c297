package httpapi

import (
	"net/http"
	"strings"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
)

// route is one entry of the route table: a net/http method pattern and its
// handler.
type route struct {
	pattern string
	handler http.Handler
}

// routeTable is the one route table (docs/api.md; /api/openapi.json
// documents every pattern, which a test checks). /metrics is there when
// metrics are on, the admin routes when an admin token is set.
func (s *Server) routeTable() []route {
	h := func(pattern string, f http.HandlerFunc) route { return route{pattern, f} }
	t := []route{
		h("GET /api/configs", s.listConfigs),
		h("GET /api/configs/{id}", s.getConfig),
		h("POST /api/runs", s.createRun),
		h("GET /api/runs/{id}", s.getRun),
		h("GET /api/runs/{id}/events", s.runEvents),
		h("POST /api/runs/{id}/cancel", s.cancelRun),
		h("POST /api/uploads", s.createUpload),
		h("GET /api/media/{id}", s.getMedia),
		h("GET /api/backends", s.listBackends),
		h("GET /api/info", s.info),
		h("GET /api/openapi.json", s.openAPI),
		h("GET /healthz", s.healthz),
		h("POST /api/login", s.login),
		h("POST /api/logout", s.logout),
		h("GET /api/me", s.signedIn(s.me)),
		h("POST /api/join", s.join),
		h("GET /api/workshop", s.studentWorkshop),
	}
	t = append(t, s.teacherRoutes()...)
	t = append(t, s.settingsRoutes()...)
	if s.cfg.Metrics != nil {
		t = append(t, route{"GET /metrics", s.cfg.Metrics.Handler()})
	}
	return append(t, s.adminRoutes()...)
}

// routes serves the route table. Every state-changing route is behind
// cross-origin protection; a known path with another method answers 405
// with Allow; other /api/ paths answer 404 and the rest goes to the UI.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, r := range s.routeTable() {
		mux.Handle(r.pattern, r.handler)
	}
	mux.HandleFunc("/api/", s.notFound)
	if s.cfg.Web != nil {
		mux.Handle("/", s.getOnly(s.cfg.Web))
	}
	s.mux = mux

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, fault.New(api.CodeCrossOrigin, "Anfragen von anderen Webseiten sind nicht erlaubt.",
			"Cross-origin requests are not allowed."))
	}))
	return s.recoverPanics(s.deadlines(cop.Handler(mux)))
}

// probeMethods are the methods allowedMethods tries.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// allowedMethods lists the methods a route of r's path accepts, for the
// Allow header of a 405; "" when no route has the path.
func (s *Server) allowedMethods(r *http.Request) string {
	var allow []string
	for _, m := range probeMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/api/" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	return strings.Join(allow, ", ")
}

// notFound answers a request no route took: 405 with Allow when the path
// exists for other methods, else 404.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if allow := s.allowedMethods(r); allow != "" {
		w.Header().Set("Allow", allow)
		s.fail(w, r, fault.New(api.CodeMethodNotAllowed,
			r.Method+" ist hier nicht erlaubt; erlaubt: "+allow+".", r.Method+" is not allowed here; allowed: "+allow+"."))
		return
	}
	s.fail(w, r, fault.New(api.CodeNotFound, "Diese Adresse gibt es nicht: "+r.Method+" "+r.URL.Path,
		"No such route: "+r.Method+" "+r.URL.Path))
}

// getOnly answers 405 to anything but GET and HEAD.
func (s *Server) getOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			s.fail(w, r, fault.New(api.CodeMethodNotAllowed, r.Method+" ist hier nicht erlaubt; erlaubt: GET, HEAD.",
				r.Method+" is not allowed here; allowed: GET, HEAD."))
			return
		}
		h.ServeHTTP(w, r)
	})
}
