package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/client"
)

// generationRecord reads stage 4's stored record of a run.
func generationRecord(t *testing.T, env *testEnv, runID string) map[string]any {
	t.Helper()
	_, run := getJSON(t, env.Server.URL+"/api/runs/"+runID)
	for _, r := range run["results"].([]any) {
		m := r.(map[string]any)
		if m["name"] == "generation" {
			d, _ := m["detail"].(map[string]any)
			return d
		}
	}
	t.Fatalf("run %s has no generation record: %v", runID, run)
	return nil
}

func mediaOf(t *testing.T, evs []sseEvent) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, e := range evs {
		if e.Type == "media" {
			out = append(out, e.Data)
		}
	}
	if last := evs[len(evs)-1]; last.Data["state"] != "done" {
		for _, e := range evs {
			if e.Type == "error" {
				t.Fatalf("run failed: %v", e.Data)
			}
		}
		t.Fatalf("run ended %v", last.Data)
	}
	if len(out) == 0 {
		t.Fatal("no media event")
	}
	return out
}

func fetch(t *testing.T, url string) ([]byte, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, data)
	}
	return data, resp.Header
}

func TestTextToImageThroughSwarmUI(t *testing.T) {
	env := newEnv(t, envOptions{})
	id := env.startRun(t, api.RunRequest{Stages: "generation", Text: "a lighthouse made of cheese", Output: "sd35_large", Seed: new(uint64(42)), Lang: "en"})
	evs := env.collect(t, id)
	m := mediaOf(t, evs)[0]
	rec := generationRecord(t, env, id)
	if rec["path"] != "swarmui_text2image" || rec["seed"].(float64) != 42 {
		t.Fatalf("record %v", rec)
	}
	served, h := fetch(t, env.Server.URL+m["url"].(string))
	if h.Get("Content-Type") != "image/png" || h.Get("ETag") == "" || !strings.Contains(h.Get("Cache-Control"), "max-age=31536000") {
		t.Fatalf("media headers %v", h)
	}
	// Byte-identical to what SwarmUI produced.
	files := rec["backend_files"].([]any)
	original, _ := fetch(t, env.App.Settings.SwarmURL+"/"+files[0].(string))
	if !bytes.Equal(served, original) {
		t.Fatalf("served media (%d bytes) differs from the backend's image (%d bytes)", len(served), len(original))
	}
	reqs := env.Swarm.Requests()
	if len(reqs) != 1 || reqs[0].Seed != 42 || !strings.Contains(reqs[0].Model, "sd3.5_large") {
		t.Fatalf("swarm received %+v", reqs)
	}
	// A second fetch with the ETag is answered 304.
	req, _ := http.NewRequest("GET", env.Server.URL+m["url"].(string), nil)
	req.Header.Set("If-None-Match", h.Get("ETag"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Fatalf("conditional GET = %d", resp.StatusCode)
	}
}

func TestWorkflowModeWithInterceptionLoRAs(t *testing.T) {
	env := newEnv(t, envOptions{})
	id := env.startRun(t, api.RunRequest{Stages: "generation", Text: "my grandmother's garden", Interception: "analog_photo_1970s", Output: "sd35_large", Lang: "en"})
	evs := env.collect(t, id)
	mediaOf(t, evs)
	progress := 0
	for _, e := range evs {
		if e.Type == "progress" {
			progress++
		}
	}
	if progress < 2 {
		t.Fatalf("only %d progress events", progress)
	}
	rec := generationRecord(t, env, id)
	if rec["path"] != "swarmui_comfy_workflow" || rec["comfy_prompt_id"] == "" {
		t.Fatalf("record %v", rec)
	}
	prompts := env.Swarm.Comfy().Prompts()
	if len(prompts) != 1 {
		t.Fatalf("comfy received %d prompts", len(prompts))
	}
	var g map[string]struct {
		ClassType string         `json:"class_type"`
		Inputs    map[string]any `json:"inputs"`
	}
	if err := json.Unmarshal(prompts[0].Graph, &g); err != nil {
		t.Fatal(err)
	}
	var lora, promptText string
	for _, n := range g {
		switch n.ClassType {
		case "LoraLoader":
			lora, _ = n.Inputs["lora_name"].(string)
		case "CLIPTextEncode":
			if s, _ := n.Inputs["text"].(string); strings.Contains(s, "kodachrome") {
				promptText = s
			}
		}
	}
	if lora != "film_grain_1970s.safetensors" {
		t.Fatalf("graph sent has LoRA %q", lora)
	}
	if strings.Count(promptText, "kodachrome film photo") != 1 {
		t.Fatalf("trigger phrase not in the positive prompt exactly once: %q", promptText)
	}
	if rec["comfy_prompt_id"] != prompts[0].PromptID {
		t.Fatalf("recorded prompt id %v, comfy saw %s", rec["comfy_prompt_id"], prompts[0].PromptID)
	}
}

func pngBytes(t *testing.T, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (e *testEnv) upload(t *testing.T, name string, data []byte) (*api.Upload, error) {
	t.Helper()
	return e.client("").Upload(t.Context(), name, bytes.NewReader(data))
}

func TestImageToImageWithUploads(t *testing.T) {
	env := newEnv(t, envOptions{})
	up1, err := env.upload(t, "photo.jpg", pngBytes(t, 64, 48, color.RGBA{200, 30, 30, 255}))
	if err != nil || up1.Mime != "image/png" || up1.Width != 64 {
		t.Fatalf("upload = %+v %v", up1, err)
	}
	up2, err := env.upload(t, "b.png", pngBytes(t, 32, 32, color.RGBA{30, 30, 200, 255}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		output  string
		uploads []string
	}{
		{"sd35_img2img", []string{up1.UploadID}},
		{"sd35_blend", []string{up1.UploadID, up2.UploadID}},
	} {
		t.Run(tc.output, func(t *testing.T) {
			id := env.startRun(t, api.RunRequest{Stages: "generation", Text: "a red square becomes a sunset", Output: tc.output, Uploads: tc.uploads})
			mediaOf(t, env.collect(t, id))
			prompts := env.Swarm.Comfy().Prompts()
			var g map[string]struct {
				ClassType string         `json:"class_type"`
				Inputs    map[string]any `json:"inputs"`
			}
			_ = json.Unmarshal(prompts[len(prompts)-1].Graph, &g)
			loads := 0
			for _, n := range g {
				if n.ClassType == "LoadImage" {
					loads++
					if name, _ := n.Inputs["image"].(string); !strings.HasPrefix(name, "ai4artsed_") {
						t.Fatalf("LoadImage reads %q, not an uploaded file", name)
					}
				}
			}
			if loads != len(tc.uploads) && !(tc.output == "sd35_blend" && loads == 2) {
				t.Fatalf("%d LoadImage nodes for %d uploads", loads, len(tc.uploads))
			}
		})
	}
}

func TestUploadRejectsWhatIsNotAnImage(t *testing.T) {
	env := newEnv(t, envOptions{})
	for name, data := range map[string][]byte{
		"fake.png":  []byte("<html>not an image</html>"),
		"trunc.png": pngBytes(t, 16, 16, color.White)[:40],
		"big.png":   append(pngBytes(t, 8, 8, color.White), make([]byte, 21<<20)...),
	} {
		_, err := env.upload(t, name, data)
		var apiErr *client.Error
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest && apiErr.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("%s: %v, want a JSON error with status 400 or 413", name, err)
		}
	}
}

func TestCancelDuringGenerationInterruptsOnlyOurPrompt(t *testing.T) {
	env := newEnv(t, envOptions{sim: SimSettings{StepDelay: 100 * time.Millisecond}})
	id := env.startRun(t, api.RunRequest{Stages: "generation", Text: "slow painting", Output: "flux_dev"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cancelled := false
	evs, err := env.follow(ctx, id, 0, func(e sseEvent) {
		if e.Type == "progress" && !cancelled && e.Data["value"].(float64) >= 2 {
			cancelled = true
			env.cancel(t, id)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Data["state"] != "cancelled" {
		t.Fatalf("run ended %v", last.Data)
	}
	prompts := env.Swarm.Comfy().Prompts()
	interrupted := env.Swarm.Comfy().Interrupted()
	if len(prompts) != 1 || len(interrupted) != 1 || interrupted[0] != prompts[0].PromptID {
		t.Fatalf("prompts %+v, interrupted %v", prompts, interrupted)
	}
}

func TestSwarmSessionExpiryIsRecovered(t *testing.T) {
	env := newEnv(t, envOptions{})
	for i := 0; i < 2; i++ {
		id := env.startRun(t, api.RunRequest{Stages: "generation", Text: "two moons", Output: "sd35_large"})
		mediaOf(t, env.collect(t, id))
		env.Swarm.ExpireSessions()
	}
	reqs := env.Swarm.Requests()
	if len(reqs) != 2 || reqs[0].Session == reqs[1].Session {
		t.Fatalf("requests %+v", reqs)
	}
}

func TestRejectedWorkflowNamesNodeAndInput(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "output"), 0o755)
	os.MkdirAll(filepath.Join(dir, "workflows"), 0o755)
	wf, _ := os.ReadFile("../../internal/catalog/builtin/workflows/flux_dev.json")
	wf = bytes.Replace(wf, []byte("flux1-dev.safetensors"), []byte("flux1-missing.safetensors"), 1)
	os.WriteFile(filepath.Join(dir, "workflows", "flux_broken.json"), wf, 0o644)
	out, _ := os.ReadFile("../../internal/catalog/builtin/output/flux_dev.json")
	out = bytes.Replace(out, []byte(`"flux_dev.json"`), []byte(`"flux_broken.json"`), 1)
	os.WriteFile(filepath.Join(dir, "output", "flux_broken.json"), out, 0o644)

	env := newEnv(t, envOptions{mutate: func(s *Settings) { s.ConfigDir = dir }})
	id := env.startRun(t, api.RunRequest{Stages: "generation", Text: "x", Output: "flux_broken"})
	evs := env.collect(t, id)
	errEv := evs[len(evs)-2]
	if errEv.Type != "error" || errEv.Data["code"] != "workflow_rejected" {
		t.Fatalf("error event %v", errEv.Data)
	}
	msg := errEv.Data["message"].(string)
	if strings.Contains(msg, "unet_name") || !strings.Contains(msg, "Lehrkraft") {
		t.Fatalf("the student's message is not the plain German one: %s", msg)
	}
	if log := env.failureLog(id); !strings.Contains(log, "unet_name") || !strings.Contains(log, "flux1-missing.safetensors") {
		t.Fatalf("the log does not name the node input: %s", log)
	}
}

func TestGenerationBackendDown(t *testing.T) {
	env := newEnv(t, envOptions{mutate: func(s *Settings) { s.SwarmURL = "http://127.0.0.1:1"; s.ComfyURL = "http://127.0.0.1:1" }})
	id := env.startRun(t, api.RunRequest{Stages: "generation", Text: "x", Output: "sd35_large"})
	evs := env.collect(t, id)
	errEv := evs[len(evs)-2]
	if errEv.Type != "error" || errEv.Data["code"] != "backend_unavailable" || strings.Contains(errEv.Data["message"].(string), "SwarmUI") {
		t.Fatalf("error event %v", errEv.Data)
	}
	if log := env.failureLog(id); !strings.Contains(log, "SwarmUI is not running") {
		t.Fatalf("the log does not say why: %s", log)
	}
}

func TestGenerationFailuresNameTheCause(t *testing.T) {
	env := newEnv(t, envOptions{
		sim:    SimSettings{StepDelay: 200 * time.Millisecond},
		mutate: func(s *Settings) { s.GenerationTimeout = 600 * time.Millisecond },
	})
	cases := []struct {
		name string
		body api.RunRequest
		code string
		says []string
	}{
		{"lora the backend lacks", api.RunRequest{Stages: "generation", Text: "x", Output: "sd35_large", LoRAs: []api.LoRA{{Name: "not_installed.safetensors", Strength: 0.7}}},
			"workflow_rejected", []string{"lora_name", "not_installed.safetensors"}},
		{"generation too slow", api.RunRequest{Stages: "generation", Text: "x", Output: "flux_dev"},
			"generation_timeout", []string{"comfy"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := env.startRun(t, tc.body)
			evs := env.collect(t, id)
			errEv := evs[len(evs)-2]
			if errEv.Type != "error" || errEv.Data["code"] != tc.code {
				t.Fatalf("error event %v, want code %s", errEv.Data, tc.code)
			}
			log := env.failureLog(id)
			for _, s := range tc.says {
				if strings.Contains(errEv.Data["message"].(string), s) {
					t.Fatalf("the student's message %q shows the detail %q", errEv.Data["message"], s)
				}
				if !strings.Contains(log, s) {
					t.Fatalf("the log %q does not mention %q", log, s)
				}
			}
			_, run := getJSON(t, env.Server.URL+"/api/runs/"+id)
			if media := run["media"].([]any); len(media) != 0 {
				t.Fatalf("a failed run stored media: %v", media)
			}
		})
	}
}
