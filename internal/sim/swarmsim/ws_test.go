package swarmsim_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
	"github.com/ai4artsed/ai4artsed/internal/sim/swarmsim"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// dialT2I opens the generation websocket and sends one request frame.
func dialT2I(t *testing.T, ctx context.Context, ts *httptest.Server, req map[string]any) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/API/GenerateText2ImageWS", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	b, _ := json.Marshal(req)
	if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
	return conn
}

// readFrames reads JSON frames until the server closes the socket and
// returns them with the close error.
func readFrames(t *testing.T, ctx context.Context, conn *websocket.Conn) ([]map[string]json.RawMessage, error) {
	t.Helper()
	var out []map[string]json.RawMessage
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return out, err
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("frame %.80q is not a JSON object: %v", data, err)
		}
		out = append(out, m)
	}
}

func TestWebsocketProtocol(t *testing.T) {
	_, ts := newSim(t, swarmsim.Options{Comfy: comfysim.Options{StepDelay: time.Millisecond}})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn := dialT2I(t, ctx, ts, map[string]any{"session_id": session(t, ts), "prompt": "a red kite", "model": "sd3.5_large",
		"images": 2, "steps": 3, "width": 64, "height": 64, "seed": 5})
	frames, err := readFrames(t, ctx, conn)
	if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("socket ended with %v, want a normal close", err)
	}
	var kinds []string
	var images []string
	last := map[string]float64{}
	for _, f := range frames {
		switch {
		case f["status"] != nil:
			kinds = append(kinds, "status")
		case f["gen_progress"] != nil:
			var p struct {
				BatchIndex string  `json:"batch_index"`
				Overall    float64 `json:"overall_percent"`
				Current    float64 `json:"current_percent"`
				Preview    string  `json:"preview"`
			}
			if err := json.Unmarshal(f["gen_progress"], &p); err != nil {
				t.Fatalf("gen_progress %s: %v", f["gen_progress"], err)
			}
			if p.Overall < last[p.BatchIndex] || p.Overall > 1 || p.Current < 0 || p.Current > 1 {
				t.Errorf("gen_progress %s after %v", f["gen_progress"], last[p.BatchIndex])
			}
			last[p.BatchIndex] = p.Overall
			jpg, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(p.Preview, "data:image/jpeg;base64,"))
			if _, derr := jpeg.DecodeConfig(bytes.NewReader(jpg)); err != nil || derr != nil {
				t.Errorf("preview is not a JPEG data URL: %.60s", p.Preview)
			}
			kinds = append(kinds, "gen_progress")
		case f["image"] != nil:
			var im struct {
				Image      string `json:"image"`
				BatchIndex string `json:"batch_index"`
				Metadata   string `json:"metadata"`
			}
			if err := json.Unmarshal(f["image"], &im); err != nil || !strings.HasPrefix(im.Image, "View/local/raw/") {
				t.Fatalf("image frame %s: %v", f["image"], err)
			}
			images = append(images, im.BatchIndex+":"+im.Image)
			kinds = append(kinds, "image")
		case f["keep_alive"] != nil:
			kinds = append(kinds, "keep_alive")
		case f["discard_indices"] != nil:
			kinds = append(kinds, "discard_indices")
		case string(f["socket_intention"]) == `"close"`:
			kinds = append(kinds, "socket_intention")
		default:
			t.Errorf("unexpected frame %v", f)
		}
	}
	want := "status gen_progress gen_progress gen_progress image keep_alive gen_progress gen_progress gen_progress image keep_alive discard_indices socket_intention status"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("frames:\n got %s\nwant %s", got, want)
	}
	if len(images) != 2 || !strings.HasPrefix(images[0], "0:") || !strings.HasPrefix(images[1], "1:") {
		t.Fatalf("images = %v", images)
	}
	_, path, _ := strings.Cut(images[1], ":")
	got, err := swarm.New(ts.URL, ts.Client()).FetchImage(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := comfysim.Render("a red kite", 6, nil, 64, 64, nil); !bytes.Equal(got.Data, want) {
		t.Error("image 1 differs from comfysim.Render with seed 6")
	}
}

func TestWebsocketErrors(t *testing.T) {
	_, ts := newSim(t, swarmsim.Options{})
	sid := session(t, ts)
	tests := []struct {
		name, route string
		req         map[string]any
		id, msg     string
	}{
		{"unknown model", "GenerateText2ImageWS", map[string]any{"session_id": sid, "images": 1, "model": "nope"}, "", "Invalid value for param Model"},
		{"missing images", "GenerateText2ImageWS", map[string]any{"session_id": sid, "prompt": "x"}, "", "Missing required parameter 'images'"},
		{"invalid session", "GenerateText2ImageWS", map[string]any{"session_id": "feed", "images": 1}, "invalid_session_id", "Invalid session ID"},
		{"no session", "GenerateText2ImageWS", map[string]any{"images": 1}, "basic_api", "missing session id"},
		{"http route", "ListBackends", map[string]any{"session_id": sid}, "bad_request_method", ""},
		{"unknown route", "Nope", map[string]any{"session_id": sid}, "bad_route", "Unknown API route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/API/"+tt.route, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.CloseNow()
			b, _ := json.Marshal(tt.req)
			_ = conn.Write(ctx, websocket.MessageText, b)
			frames, err := readFrames(t, ctx, conn)
			if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
				t.Errorf("socket ended with %v", err)
			}
			last := frames[len(frames)-1]
			var msg, id string
			_ = json.Unmarshal(last["error"], &msg)
			_ = json.Unmarshal(last["error_id"], &id)
			if id != tt.id || !strings.Contains(msg, tt.msg) || msg == "" {
				t.Errorf("last frame = error %q, error_id %q; want %q, %q", msg, id, tt.msg, tt.id)
			}
		})
	}
	// Over plain HTTP the route answers as SwarmUI does.
	status, out, _ := rawPost(t, ts, "/API/GenerateText2ImageWS", "application/json", jsonBody(t, map[string]any{"session_id": sid}), nil)
	if status != http.StatusBadRequest || out["error_id"] != "bad_request_method" {
		t.Errorf("HTTP call = %d %v", status, out)
	}
}

func TestWebsocketClient(t *testing.T) {
	sim, ts := newSim(t, swarmsim.Options{Comfy: comfysim.Options{StepDelay: time.Millisecond}})
	var overall []float64
	imgs, err := newClient(ts).GenerateText2ImageWS(t.Context(), swarm.T2IRequest{Prompt: "owl", Model: "sd_xl_base_1.0", Width: 64, Height: 64, Steps: 4, Seed: 9},
		func(p swarm.Progress) { overall = append(overall, p.Overall) })
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := comfysim.Render("owl", 9, nil, 64, 64, nil); len(imgs) != 1 || !bytes.Equal(imgs[0].Data, want) {
		t.Fatal("image differs from comfysim.Render")
	}
	if len(overall) != 4 || overall[3] != 1 {
		t.Errorf("progress = %v, want four steps up to 1", overall)
	}
	if r := sim.Requests(); len(r) != 1 || !r[0].Websocket || r[0].Steps != 4 {
		t.Errorf("recorded = %+v", r)
	}
}

// TestWebsocketDisconnectStopsGeneration: a client that leaves frees the
// backend, as its request's cancellation does over HTTP.
func TestWebsocketDisconnectStopsGeneration(t *testing.T) {
	sim, ts := newSim(t, swarmsim.Options{Comfy: comfysim.Options{StepDelay: 20 * time.Millisecond}})
	ctx, cancel := context.WithCancel(t.Context())
	_, err := newClient(ts).GenerateText2ImageWS(ctx, swarm.T2IRequest{Prompt: "slow", Model: "sd_xl_base_1.0", Steps: 500, Seed: 1},
		func(swarm.Progress) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	waitFor(t, 3*time.Second, "the generation to stop", func() bool {
		r := sim.Requests()
		return len(r) == 1 && r[0].Error != ""
	})
	st, err := newClient(ts).CurrentStatus(t.Context())
	if err != nil || st.Live != 0 {
		t.Errorf("status after disconnect = %+v, %v", st, err)
	}
}
