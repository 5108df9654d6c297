package comfysim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// runPrompt queues g and waits for its history entry.
func runPrompt(t *testing.T, base string, g any) map[string]any {
	t.Helper()
	status, body := post(t, base+"/prompt", map[string]any{"prompt": g})
	if status != http.StatusOK {
		t.Fatalf("queue: %d %v", status, body)
	}
	id := body["prompt_id"].(string)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case <-tick.C:
		case <-timeout:
			t.Fatalf("prompt %s did not finish", id)
		}
		_, data := httpGet(t, base+"/history/"+id)
		var h map[string]any
		_ = json.Unmarshal(data, &h)
		if e, ok := h[id].(map[string]any); ok {
			return e
		}
	}
}

func viewImage(t *testing.T, base string, ref any) []byte {
	t.Helper()
	q := url.Values{}
	for _, k := range []string{"filename", "subfolder", "type"} {
		q.Set(k, dig(ref, k).(string))
	}
	status, data := httpGet(t, base+"/view?"+q.Encode())
	if status != http.StatusOK {
		t.Fatalf("view %v: %d", q, status)
	}
	return data
}

func TestFluxStyleGraph(t *testing.T) {
	_, srv := newTestServer(t, Options{})
	g := map[string]any{
		"1":  n("UNETLoader", map[string]any{"unet_name": "flux1-dev.safetensors", "weight_dtype": "default"}),
		"2":  n("DualCLIPLoader", map[string]any{"clip_name1": "clip_l.safetensors", "clip_name2": "t5xxl_fp16.safetensors", "type": "flux"}),
		"3":  n("VAELoader", map[string]any{"vae_name": "ae.safetensors"}),
		"4":  n("LoraLoaderModelOnly", map[string]any{"model": []any{"1", 0}, "lora_name": "pixel_art.safetensors", "strength_model": 0.7}),
		"5":  n("ModelSamplingFlux", map[string]any{"model": []any{"4", 0}, "max_shift": 1.15, "base_shift": 0.5, "width": 80, "height": 48}),
		"6":  n("CLIPTextEncode", map[string]any{"text": "a lighthouse", "clip": []any{"2", 0}}),
		"7":  n("FluxGuidance", map[string]any{"conditioning": []any{"6", 0}, "guidance": 3.5}),
		"8":  n("BasicGuider", map[string]any{"model": []any{"5", 0}, "conditioning": []any{"7", 0}}),
		"9":  n("RandomNoise", map[string]any{"noise_seed": jsonNumberLiteral("18446744073709551615")}),
		"10": n("KSamplerSelect", map[string]any{"sampler_name": "euler"}),
		"11": n("BasicScheduler", map[string]any{"model": []any{"5", 0}, "scheduler": "simple", "steps": 4, "denoise": 1.0}),
		"12": n("EmptySD3LatentImage", map[string]any{"width": 80, "height": 48, "batch_size": 1}),
		"13": n("SamplerCustomAdvanced", map[string]any{"noise": []any{"9", 0}, "guider": []any{"8", 0}, "sampler": []any{"10", 0},
			"sigmas": []any{"11", 0}, "latent_image": []any{"12", 0}}),
		"14": n("VAEDecode", map[string]any{"samples": []any{"13", 0}, "vae": []any{"3", 0}}),
		"15": n("SaveImage", map[string]any{"images": []any{"14", 0}, "filename_prefix": "flux/%width%x%height%"}),
		"16": n("PreviewImage", map[string]any{"images": []any{"14", 0}}),
	}
	e := runPrompt(t, srv.URL, g)
	if dig(e, "status", "status_str") != "success" {
		t.Fatalf("entry = %v", e)
	}
	saved := dig(e, "outputs", "15", "images", 0)
	if dig(saved, "subfolder") != "flux" || dig(saved, "filename") != "80x48_00001_.png" || dig(saved, "type") != "output" {
		t.Errorf("saved = %v", saved)
	}
	if dig(e, "outputs", "16", "images", 0, "type") != "temp" {
		t.Errorf("preview = %v", dig(e, "outputs", "16"))
	}
	want, _ := Render("a lighthouse", 18446744073709551615, []string{"pixel_art.safetensors"}, 80, 48, nil)
	if !bytes.Equal(viewImage(t, srv.URL, saved), want) {
		t.Error("flux output is not Render(text, noise_seed, loras)")
	}
}

func TestImageNodes(t *testing.T) {
	_, srv := newTestServer(t, Options{})
	src, _ := Render("src", 1, nil, 30, 20, nil)
	upload(t, srv.URL, "src.png", src, nil)
	g := map[string]any{
		"1": n("LoadImage", map[string]any{"image": "src.png"}),
		"2": n("ImageScale", map[string]any{"image": []any{"1", 0}, "upscale_method": "bilinear", "width": 60, "height": 0, "crop": "disabled"}),
		"3": n("LoadImage", map[string]any{"image": "src.png [input]"}),
		"4": n("ImageBlend", map[string]any{"image1": []any{"2", 0}, "image2": []any{"3", 0}, "blend_factor": 0.5, "blend_mode": "normal"}),
		"5": n("SaveImage", map[string]any{"images": []any{"4", 0}, "filename_prefix": "blend"}),
	}
	e := runPrompt(t, srv.URL, g)
	ref := dig(e, "outputs", "5", "images", 0)
	if ref == nil {
		t.Fatalf("entry = %v", e)
	}
	data := viewImage(t, srv.URL, ref)
	scaled, _ := Render("", 0, nil, 60, 40, [][]byte{src})
	plain, _ := Render("", 0, nil, 30, 20, [][]byte{src})
	want, _ := Render("", 0, nil, 60, 40, [][]byte{scaled, plain})
	if !bytes.Equal(data, want) {
		t.Error("blend output differs from the expected render")
	}
}

func TestLiteralForLinkTypeFailsAtExecution(t *testing.T) {
	_, srv := newTestServer(t, Options{})
	g := baseGraph()
	set(g, "8", "vae", "not a link") // accepted by validation, as in ComfyUI
	e := runPrompt(t, srv.URL, g)
	if dig(e, "status", "status_str") != "error" || dig(e, "status", "completed") != false {
		t.Errorf("status = %v", dig(e, "status"))
	}
}
