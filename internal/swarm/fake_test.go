package swarm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
)

// fakeSwarm is an httptest SwarmUI speaking the wire format: POST-only API
// with content-type and content-length checks and session validation, and
// route handlers supplied by each test.
type fakeSwarm struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	sessions map[string]bool
	next     int
	calls    map[string]int
	bodies   map[string][]map[string]any
	routes   map[string]func(body map[string]any) (int, any)
	files    map[string][]byte // View paths (unescaped) → bytes
	viewHits []string          // raw request paths of View GETs
	// ws plays GenerateText2ImageWS after the request frame passed the
	// session check; nil refuses the handshake as an HTTP API call.
	ws      func(ctx context.Context, conn *websocket.Conn, body map[string]any)
	wsConns int // handshakes accepted
}

func newFakeSwarm(t *testing.T) *fakeSwarm {
	t.Helper()
	f := &fakeSwarm{
		t:        t,
		sessions: map[string]bool{},
		calls:    map[string]int{},
		bodies:   map[string][]map[string]any{},
		routes:   map[string]func(map[string]any) (int, any){},
		files:    map[string][]byte{},
	}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSwarm) client() *Client { return New(f.srv.URL, f.srv.Client()) }

func (f *fakeSwarm) handle(route string, h func(body map[string]any) (int, any)) {
	f.mu.Lock()
	f.routes[route] = h
	f.mu.Unlock()
}

func (f *fakeSwarm) count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[route]
}

func (f *fakeSwarm) lastBody(route string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.bodies[route]
	if len(b) == 0 {
		return nil
	}
	return b[len(b)-1]
}

// expireAll forgets every session, as a SwarmUI restart would.
func (f *fakeSwarm) expireAll() {
	f.mu.Lock()
	clear(f.sessions)
	f.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeSwarm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/View/") {
		f.mu.Lock()
		f.viewHits = append(f.viewHits, r.URL.EscapedPath())
		data, ok := f.files[strings.TrimPrefix(r.URL.Path, "/")]
		f.mu.Unlock()
		if !ok {
			writeJSON(w, 404, map[string]string{"error": "404, file not found.", "error_id": "file_not_found"})
			return
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(data)
		return
	}
	route, ok := strings.CutPrefix(r.URL.Path, "/API/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if route == wsRoute && r.Header.Get("Upgrade") != "" {
		f.serveWS(w, r)
		return
	}
	if r.Method != http.MethodPost {
		http.Redirect(w, r, "/Error/NoGetAPI", http.StatusFound)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeJSON(w, 400, map[string]string{"error_id": "basic_api", "error": "Wrong content type"})
		return
	}
	if r.ContentLength <= 0 {
		writeJSON(w, 400, map[string]string{"error_id": "basic_api", "error": "bad content length"})
		return
	}
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		writeJSON(w, 400, map[string]string{"error_id": "basic_api", "error": "bad json"})
		return
	}
	f.mu.Lock()
	f.calls[route]++
	f.bodies[route] = append(f.bodies[route], body)
	if route == "GetNewSession" {
		f.next++
		id := fmt.Sprintf("%016x", f.next)
		f.sessions[id] = true
		f.mu.Unlock()
		writeJSON(w, 200, map[string]any{"session_id": id, "user_id": "local", "version": "0.9.7"})
		return
	}
	sid, _ := body["session_id"].(string)
	valid := f.sessions[sid]
	h := f.routes[route]
	f.mu.Unlock()
	switch {
	case sid == "":
		writeJSON(w, 400, map[string]string{"error_id": "basic_api", "error": "missing session id"})
	case !valid:
		writeJSON(w, 401, map[string]string{"error": "Invalid session ID. You may need to refresh the page.", "error_id": "invalid_session_id"})
	case h == nil:
		writeJSON(w, 400, map[string]string{"error_id": "bad_route", "error": "Unknown API route"})
	default:
		status, v := h(body)
		if s, ok := v.(string); ok { // raw non-JSON answer
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, s)
			return
		}
		writeJSON(w, status, v)
	}
}

// serveWS accepts the generation websocket, reads the request frame, checks
// its session as SwarmUI does (an error frame with error_id, then close)
// and hands the socket to f.ws.
func (f *fakeSwarm) serveWS(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	play := f.ws
	f.mu.Unlock()
	if play == nil {
		writeJSON(w, 400, map[string]string{"error_id": "bad_request_method", "error": "API route is HTTP, request is websocket"})
		return
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	_, raw, err := conn.Read(r.Context())
	if err != nil {
		return
	}
	var body map[string]any
	if json.Unmarshal(raw, &body) != nil {
		return
	}
	sid, _ := body["session_id"].(string)
	f.mu.Lock()
	f.wsConns++
	f.calls[wsRoute]++
	f.bodies[wsRoute] = append(f.bodies[wsRoute], body)
	valid := f.sessions[sid]
	f.mu.Unlock()
	if !valid {
		sendFrame(r.Context(), conn, map[string]string{"error": "Invalid session ID. You may need to refresh the page.", "error_id": "invalid_session_id"})
		_ = conn.Close(websocket.StatusNormalClosure, "")
		return
	}
	play(r.Context(), conn, body)
}

// sendFrame writes one JSON text frame.
func sendFrame(ctx context.Context, conn *websocket.Conn, v any) {
	b, _ := json.Marshal(v)
	_ = conn.Write(ctx, websocket.MessageText, b)
}
