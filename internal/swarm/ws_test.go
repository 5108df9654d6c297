package swarm

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
)

// progressFrame is a gen_progress frame as SwarmUI sends it.
func progressFrame(batch string, overall, current float64) map[string]any {
	return map[string]any{"gen_progress": map[string]any{"batch_index": batch, "request_id": "r1", "overall_percent": overall, "current_percent": current}}
}

// imageFrame is an image frame: the nested image key, batch_index a string.
func imageFrame(batch, path string) map[string]any {
	return map[string]any{"image": map[string]any{"image": path, "batch_index": batch, "request_id": "r1", "metadata": nil}}
}

var statusFrame = map[string]any{
	"status":         map[string]int{"waiting_gens": 0, "loading_models": 0, "waiting_backends": 0, "live_gens": 1},
	"backend_status": map[string]any{"status": "running", "class": "", "message": "", "any_loading": false},
}

// script returns a ws handler that sends frames in order, then closes
// normally.
func script(frames ...any) func(context.Context, *websocket.Conn, map[string]any) {
	return func(ctx context.Context, conn *websocket.Conn, _ map[string]any) {
		for _, fr := range frames {
			sendFrame(ctx, conn, fr)
		}
		_ = conn.Close(websocket.StatusNormalClosure, "")
	}
}

// progressLog records onProgress calls.
type progressLog struct {
	mu sync.Mutex
	ps []Progress
}

func (l *progressLog) add(p Progress) { l.mu.Lock(); l.ps = append(l.ps, p); l.mu.Unlock() }

func TestGenerateText2ImageWS(t *testing.T) {
	jpeg := base64.StdEncoding.EncodeToString([]byte("jpegdata"))
	f := newFakeSwarm(t)
	f.files["View/local/raw/a cat-1.png"] = pngBytes
	f.files["View/local/raw/a cat-2.png"] = []byte("\x89PNG\r\n\x1a\nsecond")
	f.ws = script(
		statusFrame,
		progressFrame("0", 0, 0),
		map[string]any{"gen_progress": map[string]any{"batch_index": "0", "overall_percent": 0.5, "current_percent": 0.5, "preview": "data:image/jpeg;base64," + jpeg}},
		map[string]bool{"keep_alive": true},
		progressFrame("0", 1, 1),
		imageFrame("1", "View/local/raw/a cat-2.png"),
		imageFrame("0", "View/local/raw/a cat-1.png"),
		imageFrame("2", "View/local/raw/gone.png"),
		map[string]bool{"keep_alive": true},
		map[string]any{"discard_indices": []int{2}},
		map[string]string{"socket_intention": "close"},
		statusFrame,
	)
	var log progressLog
	imgs, err := f.client().GenerateText2ImageWS(t.Context(), T2IRequest{Prompt: "a cat", Model: "sd3.5_large", Steps: 20, Seed: 7, Images: 3}, log.add)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 2 || !bytes.Equal(imgs[0].Data, pngBytes) || imgs[1].Path != "View/local/raw/a cat-2.png" {
		t.Fatalf("images = %+v, want batch 0 then 1, 2 discarded", imgs)
	}
	want := []Progress{{Overall: 0, Steps: 20}, {Overall: 0.5, Current: 0.5, Step: 10, Steps: 20}, {Overall: 1, Current: 1, Step: 20, Steps: 20}}
	if len(log.ps) != len(want) {
		t.Fatalf("progress = %+v, want %+v", log.ps, want)
	}
	for i := range want {
		if log.ps[i] != want[i] {
			t.Errorf("progress %d = %+v, want %+v", i, log.ps[i], want[i])
		}
	}
	body := f.lastBody(wsRoute)
	if body["prompt"] != "a cat" || body["images"] != 3.0 || body["steps"] != 20.0 || body["session_id"] == nil {
		t.Errorf("request frame = %v", body)
	}
}

func TestGenerateText2ImageWSDataURLAndNormalClose(t *testing.T) {
	f := newFakeSwarm(t)
	f.ws = script(statusFrame, imageFrame("0", "data:image/png;base64,"+base64.StdEncoding.EncodeToString(pngBytes)))
	imgs, err := f.client().GenerateText2ImageWS(t.Context(), T2IRequest{Prompt: "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 || !bytes.Equal(imgs[0].Data, pngBytes) || imgs[0].Mime != "image/png" {
		t.Fatalf("images = %+v", imgs)
	}
}

func TestGenerateText2ImageWSRenewsSessionOnce(t *testing.T) {
	f := newFakeSwarm(t)
	f.files["View/a.png"] = pngBytes
	f.ws = script(imageFrame("0", "View/a.png"), map[string]string{"socket_intention": "close"})
	c := f.client()
	if _, err := c.NewSession(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.expireAll()
	if _, err := c.GenerateText2ImageWS(t.Context(), T2IRequest{Prompt: "x"}, nil); err != nil {
		t.Fatal(err)
	}
	if n := f.count("GetNewSession"); n != 2 {
		t.Errorf("GetNewSession called %d times, want 2", n)
	}
	if n := f.count(wsRoute); n != 2 {
		t.Errorf("%d request frames, want 2", n)
	}

	// A session that dies every time is reported after one renewal.
	f.mu.Lock()
	f.ws = func(ctx context.Context, conn *websocket.Conn, _ map[string]any) {
		f.expireAll()
		sendFrame(ctx, conn, map[string]string{"error": "Invalid session ID.", "error_id": "invalid_session_id"})
	}
	f.mu.Unlock()
	_, err := c.GenerateText2ImageWS(t.Context(), T2IRequest{Prompt: "x"}, nil)
	if !errors.Is(err, ErrInvalidSession) {
		t.Fatalf("err = %v, want ErrInvalidSession", err)
	}
	if n := f.count(wsRoute); n != 4 {
		t.Errorf("%d request frames, want 4 (one renewal)", n)
	}
}

func TestGenerateText2ImageWSHandshakeRefused(t *testing.T) {
	tests := []struct {
		name   string
		refuse http.HandlerFunc // answers the handshake; nil: the fake's own 400
		want   error
		no     error
	}{
		{"400 bad_request_method", nil, ErrNoWebsocket, ErrUnavailable},
		{"404 html", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, ErrNoWebsocket, ErrUnavailable},
		{"503 proxy", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "<html>bad gateway</html>", http.StatusServiceUnavailable)
		}, ErrUnavailable, ErrNoWebsocket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSwarm(t)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.refuse != nil && r.Header.Get("Upgrade") != "" {
					tt.refuse(w, r)
					return
				}
				f.ServeHTTP(w, r)
			}))
			defer srv.Close()
			_, err := New(srv.URL, srv.Client()).GenerateText2ImageWS(t.Context(), T2IRequest{Prompt: "x"}, nil)
			if !errors.Is(err, tt.want) || errors.Is(err, tt.no) {
				t.Fatalf("err = %v, want %v and not %v", err, tt.want, tt.no)
			}
			if strings.Contains(err.Error(), "<html>") {
				t.Errorf("error quotes the body: %v", err)
			}
		})
	}
}

func TestAPIErrorOfAFrame(t *testing.T) {
	err := error(&APIError{Route: wsRoute, Message: "Invalid value for param Model - 'x' Bearer sekrit"})
	if !errors.Is(err, ErrGenerationFailed) || errors.Is(err, ErrInvalidSession) {
		t.Errorf("frame error %v: wrong class", err)
	}
	if strings.Contains(err.Error(), "sekrit") || strings.Contains(err.Error(), "status") {
		t.Errorf("frame error text = %q", err)
	}
}
