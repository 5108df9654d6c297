package comfysim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func newTestServer(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	s := New(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	t.Cleanup(s.Close)
	return s, srv
}

func n(class string, inputs map[string]any) map[string]any {
	return map[string]any{"class_type": class, "inputs": inputs}
}

// baseGraph is ComfyUI's minimal txt2img example graph.
func baseGraph() map[string]map[string]any {
	return map[string]map[string]any{
		"4": n("CheckpointLoaderSimple", map[string]any{"ckpt_name": "sd_xl_base_1.0.safetensors"}),
		"5": n("EmptyLatentImage", map[string]any{"width": 64, "height": 64, "batch_size": 1}),
		"6": n("CLIPTextEncode", map[string]any{"text": "a fox", "clip": []any{"4", 1}}),
		"7": n("CLIPTextEncode", map[string]any{"text": "", "clip": []any{"4", 1}}),
		"3": n("KSampler", map[string]any{"model": []any{"4", 0}, "seed": 5, "steps": 2, "cfg": 8.0,
			"sampler_name": "euler", "scheduler": "normal", "positive": []any{"6", 0}, "negative": []any{"7", 0},
			"latent_image": []any{"5", 0}, "denoise": 1.0}),
		"8": n("VAEDecode", map[string]any{"samples": []any{"3", 0}, "vae": []any{"4", 2}}),
		"9": n("SaveImage", map[string]any{"images": []any{"8", 0}, "filename_prefix": "ComfyUI"}),
	}
}

func set(g map[string]map[string]any, id, input string, v any) {
	g[id]["inputs"].(map[string]any)[input] = v
}

// post sends JSON and returns the status and decoded body (nil if empty).
func post(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(data) > 0 {
		_ = json.Unmarshal(data, &out)
	}
	return resp.StatusCode, out
}

func httpGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// dig walks decoded JSON: keys for objects, ints for arrays.
func dig(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}
