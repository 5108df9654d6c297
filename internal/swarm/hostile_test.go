package swarm

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// TestFetchImageStopsAtTheMediaLimit serves a 30 MiB image from View/ and
// checks FetchImage refuses it with ErrImageTooLarge, reading no more than
// the limit.
func TestFetchImageStopsAtTheMediaLimit(t *testing.T) {
	const size = 30 << 20
	tests := []struct {
		name          string
		contentLength bool
		maxAlloc      uint64
	}{
		{"with content length", true, 1 << 20},
		// io.ReadAll grows its buffer by 1.25x: up to 5x the limit, garbage
		// included, and more under -race. Reading all 30 MiB would be 150 MiB.
		{"chunked", false, 6 * maxImage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sent atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/png")
				if tt.contentLength {
					w.Header().Set("Content-Length", strconv.Itoa(size))
				}
				buf := make([]byte, 64<<10)
				for n := size; n > 0; n -= len(buf) {
					if _, err := w.Write(buf); err != nil {
						return
					}
					sent.Add(int64(len(buf)))
				}
			}))
			defer srv.Close()
			c := New(srv.URL, srv.Client())
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			before := ms.TotalAlloc
			_, err := c.FetchImage(context.Background(), "View/local/raw/big.png")
			runtime.ReadMemStats(&ms)
			if !errors.Is(err, ErrImageTooLarge) {
				t.Fatalf("FetchImage = %v, want ErrImageTooLarge", err)
			}
			if n := ms.TotalAlloc - before; n > tt.maxAlloc {
				t.Errorf("FetchImage allocated %d MiB, want at most %d MiB", n>>20, tt.maxAlloc>>20)
			}
			srv.CloseClientConnections()
			if n := sent.Load(); n >= size {
				t.Errorf("the server sent all %d bytes: FetchImage read past its limit", n)
			}
		})
	}
	t.Run("data URL", func(t *testing.T) {
		big := "data:image/png;base64," + base64.StdEncoding.EncodeToString(make([]byte, maxImage+1))
		if _, err := decodeDataURL(big); !errors.Is(err, ErrImageTooLarge) {
			t.Fatalf("decodeDataURL = %v, want ErrImageTooLarge", err)
		}
	})
}

// TestUpstreamBodiesStayOutOfErrors: an upstream that echoes the request,
// headers included, must not put the token into an error a student sees.
func TestUpstreamBodiesStayOutOfErrors(t *testing.T) {
	const page = "<html><body><pre>Authorization: Bearer secret123\n{\"api_key\": \"secret123\"}</pre></body></html>"
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		call        func(*Client) error
		want        error
	}{
		{"500 html page", 500, "text/html", page, func(c *Client) error { _, err := c.NewSession(context.Background()); return err }, ErrBadResponse},
		{"502 html page", 502, "text/html", page, func(c *Client) error { _, err := c.NewSession(context.Background()); return err }, ErrUnavailable},
		{"200 html page", 200, "text/html", page, func(c *Client) error { _, err := c.NewSession(context.Background()); return err }, ErrBadResponse},
		{"json error echoing the token", 200, "application/json", `{"error": "bad request: Authorization: Bearer secret123"}`,
			func(c *Client) error { _, err := c.NewSession(context.Background()); return err }, ErrGenerationFailed},
		{"view answers html", 200, "text/html", page, func(c *Client) error {
			_, err := c.FetchImage(context.Background(), "View/local/raw/a.png")
			return err
		}, ErrBadResponse},
		{"view answers 404 html", 404, "text/html", page, func(c *Client) error {
			_, err := c.FetchImage(context.Background(), "View/local/raw/a.png")
			return err
		}, ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			err := tt.call(New(srv.URL, srv.Client()))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if msg := err.Error(); strings.Contains(msg, "secret123") || strings.Contains(msg, "<html") {
				t.Errorf("error shows the upstream body: %s", msg)
			}
			var re *ResponseError
			if errors.As(err, &re) && (strings.Contains(re.Body, "secret123") || !strings.Contains(re.Body, "[redacted]")) {
				t.Errorf("ResponseError.Body for the log = %q, want the body with the token redacted", re.Body)
			}
			t.Logf("error: %v", err)
		})
	}
}
