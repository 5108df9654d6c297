package comfy_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/media"
)

// streamZeros writes n zero bytes in 64 KiB pieces, counting what the
// client took, and stops when the client goes away.
func streamZeros(w http.ResponseWriter, n int64, sent *atomic.Int64) {
	buf := make([]byte, 64<<10)
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := w.Write(buf[:k]); err != nil {
			return
		}
		sent.Add(k)
		n -= k
	}
}

// TestViewStopsAtTheMediaLimit serves a 30 MiB "image" and checks View
// refuses it with ErrImageTooLarge, reading no more than the limit.
func TestViewStopsAtTheMediaLimit(t *testing.T) {
	const size = 30 << 20
	tests := []struct {
		name          string
		contentLength bool
		maxAlloc      uint64 // bytes View may allocate
	}{
		{"with content length", true, 1 << 20},
		// io.ReadAll grows its buffer by 1.25x: up to 5x the limit, garbage
		// included, and more under -race. Reading all 30 MiB would be 150 MiB.
		{"chunked", false, 6 * media.MaxUploadBytes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sent atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/png")
				if tt.contentLength {
					w.Header().Set("Content-Length", strconv.Itoa(size))
				}
				streamZeros(w, size, &sent)
			}))
			defer srv.Close()
			c := comfy.New(srv.URL, srv.Client())
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			before := ms.TotalAlloc
			_, err := c.View(context.Background(), "big.png", "", "output")
			runtime.ReadMemStats(&ms)
			if !errors.Is(err, comfy.ErrImageTooLarge) {
				t.Fatalf("View = %v, want ErrImageTooLarge", err)
			}
			t.Logf("View allocated %d KiB: %v", (ms.TotalAlloc-before)>>10, err)
			if n := ms.TotalAlloc - before; n > tt.maxAlloc {
				t.Errorf("View allocated %d MiB, want at most %d MiB", n>>20, tt.maxAlloc>>20)
			}
			srv.CloseClientConnections()
			if n := sent.Load(); n >= size {
				t.Errorf("the server sent all %d bytes: View read past its limit", n)
			}
		})
	}
}

// TestUpstreamBodiesStayOutOfErrors: an upstream that echoes the request,
// headers included, must not put the token into an error a student sees.
func TestUpstreamBodiesStayOutOfErrors(t *testing.T) {
	echo := func(status int, contentType string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			_, _ = w.Write([]byte("<html><body><pre>" + r.Method + " " + r.URL.Path +
				"\nAuthorization: Bearer secret123\napi_key=secret123</pre></body></html>"))
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		call    func(*comfy.Client) error
		want    error
	}{
		{"500 html page", echo(500, "text/html"), func(c *comfy.Client) error { _, err := c.SystemStats(context.Background()); return err }, comfy.ErrBadResponse},
		{"503 html page", echo(503, "text/html"), func(c *comfy.Client) error { _, err := c.SystemStats(context.Background()); return err }, comfy.ErrUnavailable},
		{"200 html instead of json", echo(200, "text/html"), func(c *comfy.Client) error { _, err := c.SystemStats(context.Background()); return err }, comfy.ErrBadResponse},
		{"200 html instead of an image", echo(200, "text/html"), func(c *comfy.Client) error { _, err := c.View(context.Background(), "a.png", "", ""); return err }, comfy.ErrBadResponse},
		{"queue prompt answers 418 text", echo(418, "text/plain"), func(c *comfy.Client) error {
			_, err := c.Generate(context.Background(), comfy.Job{Graph: []byte(`{}`)})
			return err
		}, comfy.ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			err := tt.call(comfy.New(srv.URL, srv.Client()))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if msg := err.Error(); strings.Contains(msg, "secret123") || strings.Contains(msg, "<html") {
				t.Errorf("error shows the upstream body: %s", msg)
			}
			var se *comfy.StatusError
			if !errors.As(err, &se) {
				t.Fatalf("err = %T, want a *StatusError", err)
			}
			if !strings.Contains(se.Body, "Authorization: [redacted]") || strings.Contains(se.Body, "secret123") {
				t.Errorf("StatusError.Body for the log = %q, want the body with the token redacted", se.Body)
			}
			t.Logf("error: %v", err)
		})
	}
}
