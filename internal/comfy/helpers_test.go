package comfy_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
)

// simEnv is a simulator behind an httptest server and a client for it.
type simEnv struct {
	sim    *comfysim.Server
	srv    *httptest.Server
	client *comfy.Client
}

func newSimEnv(t *testing.T, opts comfysim.Options) *simEnv {
	t.Helper()
	sim := comfysim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close) // runs first: closes sockets so srv.Close does not wait
	return &simEnv{sim: sim, srv: srv, client: comfy.New(srv.URL, srv.Client())}
}

// txt2img is the minimal SD graph of ComfyUI's websocket example.
type txt2img struct {
	prompt, ckpt string
	seed         uint64
	steps, w, h  int
	loras        []string
}

func (g txt2img) graph() json.RawMessage {
	if g.ckpt == "" {
		g.ckpt = "sd_xl_base_1.0.safetensors"
	}
	if g.steps == 0 {
		g.steps = 3
	}
	if g.w == 0 {
		g.w, g.h = 64, 48
	}
	nodes := map[string]any{
		"4": node("CheckpointLoaderSimple", map[string]any{"ckpt_name": g.ckpt}),
		"5": node("EmptyLatentImage", map[string]any{"width": g.w, "height": g.h, "batch_size": 1}),
		"6": node("CLIPTextEncode", map[string]any{"text": g.prompt, "clip": []any{"4", 1}}),
		"7": node("CLIPTextEncode", map[string]any{"text": "blurry", "clip": []any{"4", 1}}),
		"3": node("KSampler", map[string]any{"model": []any{"4", 0}, "seed": g.seed, "steps": g.steps, "cfg": 7.5,
			"sampler_name": "euler", "scheduler": "normal", "positive": []any{"6", 0}, "negative": []any{"7", 0},
			"latent_image": []any{"5", 0}, "denoise": 1.0}),
		"8": node("VAEDecode", map[string]any{"samples": []any{"3", 0}, "vae": []any{"4", 2}}),
		"9": node("SaveImage", map[string]any{"images": []any{"8", 0}, "filename_prefix": "test"}),
	}
	model, clip := []any{"4", 0}, []any{"4", 1}
	for i, l := range g.loras {
		id := json.Number(rune('0' + i)).String()
		id = "l" + id
		nodes[id] = node("LoraLoader", map[string]any{"model": model, "clip": clip, "lora_name": l, "strength_model": 0.8, "strength_clip": 0.8})
		model, clip = []any{id, 0}, []any{id, 1}
	}
	nodes["3"].(map[string]any)["inputs"].(map[string]any)["model"] = model
	nodes["6"].(map[string]any)["inputs"].(map[string]any)["clip"] = clip
	b, _ := json.Marshal(nodes)
	return b
}

func node(class string, inputs map[string]any) map[string]any {
	return map[string]any{"class_type": class, "inputs": inputs}
}

// recv waits for a value or fails the test.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

var _ = http.StatusOK
