package httpapi

import (
	"errors"
	"io"
	"net/http"
	"time"
)

// Timeouts bound how long one client may hold a connection. They are all
// the server's connection limits, in one place; a zero field takes the
// default named in its comment.
//
// http.Server's ReadTimeout and WriteTimeout are not used: both run for the
// whole request on every route. WriteTimeout would cut every SSE stream;
// ReadTimeout would have to allow the largest upload on every route, and
// once it passes net/http's background read fails and cancels the request's
// context, which would also end SSE streams. Instead a middleware sets a
// deadline per request through http.ResponseController.
type Timeouts struct {
	// Header bounds reading the request line and headers. Default 10s.
	Header time.Duration
	// Body bounds reading a request body, counted from the end of the
	// headers. Default 30s: a JSON body is at most 1 MiB, so a client needs
	// only 35 KB/s.
	Body time.Duration
	// Upload replaces Body for POST /api/uploads. Default 5m: 20 MiB in
	// five minutes is 0.56 Mbit/s, what a class on shared school Wi-Fi may
	// get.
	Upload time.Duration
	// Write bounds writing a whole non-streaming response. Default 2m: a
	// 20 MiB media file at 1.4 Mbit/s; a generated image needs far less.
	// SSE streams replace it with their own deadline for every write
	// (sse.go), so a stream may last as long as its client keeps reading.
	Write time.Duration
	// Idle bounds a keep-alive connection waiting for its next request.
	// Default 60s.
	Idle time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.Header, 10*time.Second)
	def(&t.Body, 30*time.Second)
	def(&t.Upload, 5*time.Minute)
	def(&t.Write, 2*time.Minute)
	def(&t.Idle, 60*time.Second)
	return t
}

// HTTPServer returns an http.Server for s with the connection-level
// timeouts set; the per-request deadlines come from s itself.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{Handler: s, ReadHeaderTimeout: s.cfg.Timeouts.Header, IdleTimeout: s.cfg.Timeouts.Idle}
}

// deadlines gives every response a write deadline and every request body a
// read deadline. Requests without a body (GET, and so SSE) get no read
// deadline: once it passed, net/http would cancel their context.
func (s *Server) deadlines(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		now := time.Now()
		// Errors mean the writer cannot take deadlines (a test recorder).
		_ = rc.SetWriteDeadline(now.Add(s.cfg.Timeouts.Write))
		if r.Body != nil && r.Body != http.NoBody {
			_ = rc.SetReadDeadline(now.Add(s.cfg.Timeouts.Body))
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		}
		next.ServeHTTP(w, r)
	})
}

// extendBodyDeadline gives the rest of r's body d to arrive.
func extendBodyDeadline(w http.ResponseWriter, d time.Duration) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
}

// deadlineBody lifts the read deadline once the body has been read whole:
// the handler may still be working, and the connection's next request gets
// fresh deadlines from net/http anyway.
type deadlineBody struct {
	io.ReadCloser
	rc *http.ResponseController
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
