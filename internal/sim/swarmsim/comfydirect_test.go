package swarmsim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
	"github.com/ai4artsed/ai4artsed/internal/sim/swarmsim"
)

func TestComfyBackendDirectSystemStats(t *testing.T) {
	_, ts := newSim(t, swarmsim.Options{})
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/ComfyBackendDirect/system_stats", nil)
	status, out, _ := doJSON(t, ts, req)
	sys, _ := out["system"].(map[string]any)
	if status != 200 || sys["comfyui_version"] == nil {
		t.Fatalf("system_stats through Swarm = %d %v", status, out)
	}
}

// txt2imgGraph is ComfyUI's minimal text-to-image graph with one LoRA,
// using model names from the SwarmUI lists.
func txt2imgGraph(prompt string, seed uint64) map[string]any {
	return map[string]any{
		"4":  map[string]any{"class_type": "CheckpointLoaderSimple", "inputs": map[string]any{"ckpt_name": "OfficialStableDiffusion/sd3.5_large.safetensors"}},
		"10": map[string]any{"class_type": "LoraLoader", "inputs": map[string]any{"model": []any{"4", 0}, "clip": []any{"4", 1}, "lora_name": "styles/ink.safetensors", "strength_model": 0.8, "strength_clip": 0.8}},
		"5":  map[string]any{"class_type": "EmptyLatentImage", "inputs": map[string]any{"width": 64, "height": 48, "batch_size": 1}},
		"6":  map[string]any{"class_type": "CLIPTextEncode", "inputs": map[string]any{"text": prompt, "clip": []any{"10", 1}}},
		"7":  map[string]any{"class_type": "CLIPTextEncode", "inputs": map[string]any{"text": "blurry", "clip": []any{"10", 1}}},
		"3": map[string]any{"class_type": "KSampler", "inputs": map[string]any{
			"model": []any{"10", 0}, "seed": seed, "steps": 3, "cfg": 7.0, "sampler_name": "euler", "scheduler": "normal",
			"positive": []any{"6", 0}, "negative": []any{"7", 0}, "latent_image": []any{"5", 0}, "denoise": 1.0}},
		"8": map[string]any{"class_type": "VAEDecode", "inputs": map[string]any{"samples": []any{"3", 0}, "vae": []any{"4", 2}}},
		"9": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"8", 0}, "filename_prefix": "ai4artsed"}},
	}
}

func TestComfyBackendDirectWebsocketRoundTrip(t *testing.T) {
	_, ts := newSim(t, swarmsim.Options{Comfy: comfysim.Options{StepDelay: time.Millisecond}})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	base := ts.URL + "/ComfyBackendDirect"
	const clientID = "swarmsim-test-client"

	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/ws?clientId=" + clientID
	conn, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: ts.Client()})
	if err != nil {
		t.Fatalf("websocket through /ComfyBackendDirect: %v", err)
	}
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	defer conn.CloseNow()

	first := readEvent(ctx, t, conn)
	if first.Type != "status" || !strings.Contains(string(first.Data), clientID) {
		t.Fatalf("first frame = %s %s, want status with sid", first.Type, first.Data)
	}

	const prompt, seed = "a red fox", uint64(1234567890123)
	body, _ := json.Marshal(map[string]any{"prompt": txt2imgGraph(prompt, seed), "client_id": clientID})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/prompt", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	status, out, _ := doJSON(t, ts, req)
	promptID, _ := out["prompt_id"].(string)
	if status != 200 || promptID == "" {
		t.Fatalf("POST /prompt = %d %v", status, out)
	}

	progress := 0
	for done := false; !done; {
		ev := readEvent(ctx, t, conn)
		var data struct {
			PromptID string  `json:"prompt_id"`
			Node     *string `json:"node"`
		}
		_ = json.Unmarshal(ev.Data, &data)
		switch {
		case ev.Type == "progress" && data.PromptID == promptID:
			progress++
		case ev.Type == "execution_error":
			t.Fatalf("execution_error: %s", ev.Data)
		case ev.Type == "executing" && data.PromptID == promptID && data.Node == nil:
			done = true
		}
	}
	if progress != 3 {
		t.Errorf("progress events = %d, want 3 (one per step)", progress)
	}

	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, base+"/history/"+promptID, nil)
	_, hist, _ := doJSON(t, ts, req)
	var entry struct {
		Outputs map[string]struct {
			Images []struct{ Filename, Subfolder, Type string } `json:"images"`
		} `json:"outputs"`
	}
	raw, _ := json.Marshal(hist[promptID])
	if err := json.Unmarshal(raw, &entry); err != nil || len(entry.Outputs["9"].Images) != 1 {
		t.Fatalf("history = %v", hist)
	}
	img := entry.Outputs["9"].Images[0]
	q := url.Values{"filename": {img.Filename}, "subfolder": {img.Subfolder}, "type": {img.Type}}
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, base+"/view?"+q.Encode(), nil)
	vresp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer vresp.Body.Close()
	data, _ := io.ReadAll(vresp.Body)
	if vresp.StatusCode != 200 {
		t.Fatalf("view = %d %s", vresp.StatusCode, data)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != 64 || cfg.Height != 48 {
		t.Fatalf("view image: %v %dx%d, want a 64x48 PNG", err, cfg.Width, cfg.Height)
	}
	want, _ := comfysim.Render(prompt, seed, []string{"styles/ink.safetensors"}, 64, 48, nil)
	if !bytes.Equal(data, want) {
		t.Error("image through ComfyBackendDirect differs from comfysim.Render for the same inputs")
	}
	conn.Close(websocket.StatusNormalClosure, "")
}

type comfyEvent struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// readEvent reads the next text frame, skipping binary previews.
func readEvent(ctx context.Context, t *testing.T, conn *websocket.Conn) comfyEvent {
	t.Helper()
	for {
		typ, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("websocket read: %v", err)
		}
		if typ != websocket.MessageText {
			continue
		}
		var ev comfyEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(fmt.Errorf("frame %q: %w", b, err))
		}
		return ev
	}
}
