package supervisor

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fakeSwarm answers GetNewSession like SwarmUI, checking the request shape.
func fakeSwarm(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/API/GetNewSession" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error_id":"bad_route","error":"Unknown API route"}`)
			return
		}
		if r.Header.Get("Content-Type") != "application/json" || r.ContentLength <= 0 || string(body) != "{}" {
			t.Errorf("GetNewSession request: content type %q, length %d, body %q", r.Header.Get("Content-Type"), r.ContentLength, body)
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error_id":"basic_api","error":"Wrong content type"}`)
			return
		}
		jsonOK(w, map[string]any{"session_id": "ab12", "user_id": "local", "version": "0.9.6"})
	}
}

func fakeComfy(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/system_stats" {
		http.NotFound(w, r)
		return
	}
	jsonOK(w, map[string]any{"system": map[string]any{"os": "posix"}, "devices": []any{}})
}

// hang reads the request and then never answers, until the client gives up.
func hang(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client leaving
	<-r.Context().Done()
}

func TestCheckProbesBothBackends(t *testing.T) {
	tests := []struct {
		name       string
		swarm      func(t *testing.T) http.HandlerFunc
		comfy      http.HandlerFunc
		wantState  State
		wantDetail []string
	}{
		{"both healthy", fakeSwarm, fakeComfy, StateUp, []string{"answer"}},
		{"swarm answers error JSON", func(*testing.T) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				jsonOK(w, map[string]string{"error": "Invalid session ID."})
			}
		}, fakeComfy, StateDown, []string{"SwarmUI: GetNewSession: Invalid session ID."}},
		{"swarm answers without session_id", func(*testing.T) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { jsonOK(w, map[string]string{"user_id": "local"}) }
		}, fakeComfy, StateDown, []string{"no session_id"}},
		{"swarm installer page", func(*testing.T) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				fmt.Fprint(w, "<!DOCTYPE html><html><title>SwarmUI Install</title></html>")
			}
		}, fakeComfy, StateDown, []string{"not the expected JSON", "SwarmUI Install"}},
		{"swarm hangs", func(*testing.T) http.HandlerFunc { return hang }, fakeComfy, StateDown, []string{"SwarmUI: no answer within 200ms"}},
		{"comfy 500", fakeSwarm, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "500 Internal Server Error", http.StatusInternalServerError)
		}, StateDown, []string{"ComfyUI:", "HTTP 500"}},
		{"comfy answers a JSON array", fakeSwarm, func(w http.ResponseWriter, r *http.Request) {
			jsonOK(w, []int{1})
		}, StateDown, []string{"ComfyUI:", "not the expected JSON"}},
		{"comfy hangs", fakeSwarm, hang, StateDown, []string{"ComfyUI: no answer within 200ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			swarm := httptest.NewServer(tt.swarm(t))
			defer swarm.Close()
			comfy := httptest.NewServer(tt.comfy)
			defer comfy.Close()
			s := newSupervisor(t, Config{SwarmURL: swarm.URL + "/", ComfyURL: comfy.URL, ProbeTimeout: 200 * time.Millisecond})
			before := time.Now()
			st := s.Check(t.Context())
			if st.State != tt.wantState {
				t.Fatalf("state = %q (%s), want %q", st.State, st.Detail, tt.wantState)
			}
			for _, w := range tt.wantDetail {
				if !strings.Contains(st.Detail, w) {
					t.Errorf("detail %q lacks %q", st.Detail, w)
				}
			}
			if st.CheckedAt.Before(before) {
				t.Errorf("CheckedAt %v not updated", st.CheckedAt)
			}
			if got := s.Status(); got != st {
				t.Errorf("Status() = %+v, want the checked %+v", got, st)
			}
		})
	}
}

func TestHostPort(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:7801", "127.0.0.1:7801"},
		{"http://localhost", "localhost:80"},
		{"https://swarm.example", "swarm.example:443"},
		{"http://[::1]:7821", "[::1]:7821"},
	}
	for _, tt := range tests {
		got, err := hostPort(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("hostPort(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := hostPort("not a url"); err == nil {
		t.Error("hostPort accepted a URL without host")
	}
}

func TestTailBufferKeepsLastBytes(t *testing.T) {
	tests := []struct {
		name   string
		max    int
		writes []string
		want   string
	}{
		{"short", 16, []string{"hello ", "world\n"}, "hello world"},
		{"keeps the end", 8, []string{"0123456789", "abcdef"}, "89abcdef"},
		{"one big write", 4, []string{"abcdefgh"}, "efgh"},
		{"many small writes", 5, strings.Split("abcdefghijklmnopqrstuvwxyz", ""), "vwxyz"},
		{"cut inside a character", 5, []string{"xxxxxx", "äöü"}, "öü"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTailBuffer(tt.max)
			for _, w := range tt.writes {
				if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
				if len(b.buf) > 2*tt.max {
					t.Fatalf("buffer grew to %d bytes, limit %d", len(b.buf), 2*tt.max)
				}
			}
			if got := b.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
