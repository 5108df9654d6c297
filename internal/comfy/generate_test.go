package comfy_test

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
)

func TestGenerateSuccess(t *testing.T) {
	env := newSimEnv(t, comfysim.Options{StepDelay: time.Millisecond})
	g := txt2img{prompt: "a red fox", seed: 42, steps: 5, w: 64, h: 48, loras: []string{"watercolor.safetensors"}}
	var progress []comfy.Progress
	var queued string
	res, err := env.client.Generate(context.Background(), comfy.Job{
		Graph: g.graph(), OutputNode: "9", Timeout: 10 * time.Second,
		OnQueued:   func(id string) { queued = id },
		OnProgress: func(p comfy.Progress) { progress = append(progress, p) },
	})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if queued == "" || queued != res.PromptID {
		t.Errorf("OnQueued got %q, result prompt id %q", queued, res.PromptID)
	}
	if len(progress) != 5 {
		t.Fatalf("got %d progress events, want 5: %v", len(progress), progress)
	}
	for i, p := range progress {
		if p.Value != i+1 || p.Max != 5 || p.Node != "3" {
			t.Errorf("progress %d = %+v, want value %d max 5 node 3", i, p, i+1)
		}
	}
	if len(res.Images) != 1 {
		t.Fatalf("got %d images, want 1", len(res.Images))
	}
	img := res.Images[0]
	if img.Filename != "test_00001_.png" || img.Type != "output" || img.Mime != "image/png" {
		t.Errorf("image = %s/%s/%s %s", img.Subfolder, img.Filename, img.Type, img.Mime)
	}
	want, err := comfysim.Render("a red fox", 42, []string{"watercolor.safetensors"}, 64, 48, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(img.Data, want) {
		t.Error("image bytes differ from Render of the same prompt, seed and LoRA")
	}
	resp, err := http.Get(env.srv.URL + "/view?" + url.Values{"filename": {img.Filename}, "type": {"output"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	served, _ := io.ReadAll(resp.Body)
	if !bytes.Equal(served, img.Data) {
		t.Error("image bytes differ from what /view serves")
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img.Data))
	if err != nil || cfg.Width != 64 || cfg.Height != 48 {
		t.Errorf("png config %+v, err %v; want 64x48", cfg, err)
	}
}
