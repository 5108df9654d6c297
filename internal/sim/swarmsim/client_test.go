package swarmsim_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
	"github.com/ai4artsed/ai4artsed/internal/sim/swarmsim"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

func TestGenerateEndToEnd(t *testing.T) {
	sim, ts := newSim(t, swarmsim.Options{Comfy: comfysim.Options{StepDelay: time.Millisecond}})
	c := newClient(ts)
	req := swarm.T2IRequest{
		Prompt: "ein Fuchs im Schnee, Öl", NegativePrompt: "blurry", Model: "sd3.5_large",
		Width: 96, Height: 64, Steps: 3, CFG: 4.5, Seed: 41, Sampler: "euler", Scheduler: "sgm_uniform",
		LoRAs: []string{"watercolor", "styles/ink.safetensors"}, LoRAWeights: []float64{0.7, 1.2}, Images: 2,
	}
	imgs, err := c.GenerateText2Image(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 2 {
		t.Fatalf("got %d images, want 2", len(imgs))
	}
	loras := []string{"watercolor.safetensors", "styles/ink.safetensors"}
	for i, img := range imgs {
		want, err := comfysim.Render(req.Prompt, uint64(41+i), loras, 96, 64, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(img.Data, want) {
			t.Errorf("image %d differs from comfysim.Render with seed %d", i, 41+i)
		}
		if img.Mime != "image/png" || !strings.HasPrefix(img.Path, "View/local/raw/") || !strings.Contains(img.Path, "ein Fuchs im Schnee Öl") {
			t.Errorf("image %d: mime %q path %q", i, img.Mime, img.Path)
		}
	}
	if bytes.Equal(imgs[0].Data, imgs[1].Data) {
		t.Error("both images are identical; seed+i not applied")
	}
	reqs := sim.Requests()
	if len(reqs) != 1 {
		t.Fatalf("Requests() has %d entries, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Model != "OfficialStableDiffusion/sd3.5_large.safetensors" || r.RequestedModel != "sd3.5_large" ||
		!slices.Equal(r.LoRAs, loras) || !slices.Equal(r.LoRAWeights, []float64{0.7, 1.2}) ||
		!slices.Equal(r.Seeds, []int64{41, 42}) || r.Steps != 3 || r.CFG != 4.5 || r.NegativePrompt != "blurry" ||
		r.Sampler != "euler" || r.Scheduler != "sgm_uniform" || r.Images != 2 || len(r.Paths) != 2 || r.Error != "" {
		t.Errorf("recorded request = %+v", r)
	}
}

func TestRandomSeed(t *testing.T) {
	sim, ts := newSim(t, swarmsim.Options{})
	imgs, err := newClient(ts).GenerateText2Image(t.Context(), swarm.T2IRequest{Prompt: "x", Model: "sd_xl_base_1.0", Width: 64, Height: 64, Steps: 1, Seed: -1})
	if err != nil {
		t.Fatal(err)
	}
	r := sim.Requests()[0]
	if r.Seed != -1 || len(r.Seeds) != 1 || r.Seeds[0] < 0 {
		t.Fatalf("seeds = %v (sent %d)", r.Seeds, r.Seed)
	}
	want, _ := comfysim.Render("x", uint64(r.Seeds[0]), nil, 64, 64, nil)
	if !bytes.Equal(imgs[0].Data, want) {
		t.Error("image does not match the recorded random seed")
	}
}

func TestGenerateErrors(t *testing.T) {
	_, ts := newSim(t, swarmsim.Options{})
	c := newClient(ts)
	tests := []struct {
		name string
		req  swarm.T2IRequest
		want string
	}{
		{"unknown model", swarm.T2IRequest{Prompt: "x", Model: "nope"},
			"Invalid value for param Model - 'nope' - are you sure that model name is correct?"},
		{"unknown lora", swarm.T2IRequest{Prompt: "x", Model: "sd3.5_large", LoRAs: []string{"watercolor", "missing"}},
			"Invalid value for param LoRAs - 'watercolor,missing' - must be one of: `watercolor.safetensors`, `styles/ink.safetensors`"},
		{"bad sampler", swarm.T2IRequest{Prompt: "x", Model: "sd3.5_large", Sampler: "magic"},
			"Invalid value for param Sampler - 'magic' - must be one of:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.GenerateText2Image(t.Context(), tt.req)
			if !errors.Is(err, swarm.ErrGenerationFailed) {
				t.Fatalf("err = %v, want ErrGenerationFailed", err)
			}
			var apiErr *swarm.APIError
			if !errors.As(err, &apiErr) || !strings.HasPrefix(apiErr.Message, tt.want) {
				t.Errorf("message = %q, want prefix %q", apiErr.Message, tt.want)
			}
		})
	}
}

func TestModelMatching(t *testing.T) {
	sim, ts := newSim(t, swarmsim.Options{})
	c := newClient(ts)
	for _, m := range []string{
		"OfficialStableDiffusion/sd3.5_large.safetensors", "OfficialStableDiffusion/sd3.5_large",
		"sd3.5_large", "SD3.5_LARGE.safetensors", "flux1-schnell",
	} {
		if _, err := c.GenerateText2Image(t.Context(), swarm.T2IRequest{Prompt: "x", Model: m, Width: 64, Height: 64, Steps: 1}); err != nil {
			t.Errorf("model %q: %v", m, err)
		}
	}
	got := []string{}
	for _, r := range sim.Requests() {
		got = append(got, r.Model)
	}
	want := []string{testModels[0], testModels[0], testModels[0], testModels[0], testModels[2]}
	if !slices.Equal(got, want) {
		t.Errorf("matched %q, want %q", got, want)
	}
}

func TestListModelsThroughClient(t *testing.T) {
	_, ts := newSim(t, swarmsim.Options{})
	c := newClient(ts)
	models, err := c.ListModels(t.Context(), swarm.SubtypeModel)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range models {
		names = append(names, m.Name)
	}
	want := slices.Sorted(slices.Values(testModels))
	if !slices.Equal(names, want) {
		t.Errorf("models = %q, want %q (nested ones included)", names, want)
	}
	if models[1].Architecture != "stable-diffusion-v3.5-large" || models[1].Title != "sd3.5_large" {
		t.Errorf("sd3.5 entry = %+v", models[1])
	}
	loras, err := c.ListModels(t.Context(), swarm.SubtypeLoRA)
	if err != nil {
		t.Fatal(err)
	}
	if len(loras) != 2 || loras[0].Name != "styles/ink.safetensors" {
		t.Errorf("loras = %+v", loras)
	}
}

func TestListModelsDepthAndFolders(t *testing.T) {
	_, ts := newSim(t, swarmsim.Options{})
	sid := session(t, ts)
	status, out, _ := rawPost(t, ts, "/API/ListModels", "application/json",
		jsonBody(t, map[string]any{"session_id": sid, "path": "Flux", "depth": 2}), nil)
	if status != 200 {
		t.Fatalf("status %d %v", status, out)
	}
	folders, _ := out["folders"].([]any)
	files, _ := out["files"].([]any)
	if len(files) != 0 {
		t.Errorf("depth 2 below Flux/ should not reach Flux/nested/deep/: files %v", files)
	}
	if !slices.Equal(folders, []any{"nested", "nested/deep"}) {
		t.Errorf("folders = %v", folders)
	}
}

func TestSessionExpiryRecovered(t *testing.T) {
	sim, ts := newSim(t, swarmsim.Options{})
	c := newClient(ts)
	if _, err := c.GenerateText2Image(t.Context(), swarm.T2IRequest{Prompt: "a", Model: "sd3.5_large", Width: 64, Height: 64, Steps: 1}); err != nil {
		t.Fatal(err)
	}
	sim.ExpireSessions()
	if _, err := c.GenerateText2Image(t.Context(), swarm.T2IRequest{Prompt: "b", Model: "sd3.5_large", Width: 64, Height: 64, Steps: 1}); err != nil {
		t.Fatalf("after ExpireSessions: %v", err)
	}
	reqs := sim.Requests()
	if len(reqs) != 2 || reqs[0].Session == reqs[1].Session {
		t.Errorf("requests %d, sessions %q / %q: want two requests on two sessions", len(reqs), reqs[0].Session, reqs[len(reqs)-1].Session)
	}
}

func TestStatusAndBackends(t *testing.T) {
	_, ts := newSim(t, swarmsim.Options{Comfy: comfysim.Options{StartupDelay: 200 * time.Millisecond}})
	c := newClient(ts)
	st, err := c.CurrentStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Ready() || st.Backend != "loading" {
		t.Errorf("while ComfyUI starts: status %+v, want loading", st)
	}
	waitFor(t, 5*time.Second, "backend running", func() bool {
		st, err := c.CurrentStatus(t.Context())
		return err == nil && st.Ready()
	})
	sid := session(t, ts)
	status, out, _ := rawPost(t, ts, "/API/ListBackends", "application/json", jsonBody(t, map[string]any{"session_id": sid}), nil)
	b, _ := out["0"].(map[string]any)
	if status != 200 || b["status"] != "running" || b["type"] != "comfyui_selfstart" {
		t.Errorf("ListBackends = %d %v", status, out)
	}
}

func TestLatencyAndQueue(t *testing.T) {
	const step = 20 * time.Millisecond
	sim, ts := newSim(t, swarmsim.Options{Comfy: comfysim.Options{StepDelay: step}})
	c := newClient(ts)
	req := swarm.T2IRequest{Prompt: "q", Model: "sd3.5_large", Width: 64, Height: 64, Steps: 5}
	start := time.Now()
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := c.GenerateText2Image(context.Background(), req)
			errs <- err
		}()
	}
	for range 2 {
		select {
		case err := <-errs:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("generations did not finish")
		}
	}
	// One backend: two generations of 5 steps run one after the other.
	took := time.Since(start)
	if min := 2 * 5 * step; took < min {
		t.Errorf("two queued generations took %v, want at least %v", took, min)
	}
	// Both calls were open at once; the backend was busy for both runs'
	// steps and no longer than the calls took.
	if sim.MaxInFlight() != 2 {
		t.Errorf("max in flight %d, want 2", sim.MaxInFlight())
	}
	if busy := sim.Busy(); busy < 2*5*step || busy > took {
		t.Errorf("busy %v, want %v..%v", busy, 2*5*step, took)
	}
}

func TestCancelAndInterrupt(t *testing.T) {
	sim, ts := newSim(t, swarmsim.Options{Comfy: comfysim.Options{StepDelay: 50 * time.Millisecond}})
	slow := swarm.T2IRequest{Prompt: "slow", Model: "sd3.5_large", Width: 64, Height: 64, Steps: 200}

	t.Run("request context", func(t *testing.T) {
		c := newClient(ts)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			_, err := c.GenerateText2Image(ctx, slow)
			done <- err
		}()
		waitFor(t, 5*time.Second, "generation to start", func() bool { return len(sim.Requests()) == 1 })
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("cancel did not end the call")
		}
		waitFor(t, 5*time.Second, "backend to be free", func() bool {
			st, err := c.CurrentStatus(t.Context())
			return err == nil && st.Live == 0
		})
	})

	t.Run("InterruptAll", func(t *testing.T) {
		c := newClient(ts)
		done := make(chan error, 1)
		go func() {
			_, err := c.GenerateText2Image(t.Context(), slow)
			done <- err
		}()
		waitFor(t, 5*time.Second, "generation to run", func() bool {
			st, err := c.CurrentStatus(t.Context())
			return err == nil && st.Live == 1
		})
		if err := c.InterruptAll(t.Context()); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			var apiErr *swarm.APIError
			if !errors.As(err, &apiErr) || !strings.HasPrefix(apiErr.Message, "No images were generated") {
				t.Errorf("err = %v, want SwarmUI's no-images error", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("InterruptAll did not end the generation")
		}
	})
}
