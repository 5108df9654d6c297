package comfy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
	"github.com/coder/websocket"
)

// img2img loads an uploaded image, encodes it and samples over it.
func img2img(prompt, image string) json.RawMessage {
	nodes := map[string]any{
		"4":  node("CheckpointLoaderSimple", map[string]any{"ckpt_name": "sd_xl_base_1.0.safetensors"}),
		"10": node("LoadImage", map[string]any{"image": image}),
		"11": node("VAEEncode", map[string]any{"pixels": []any{"10", 0}, "vae": []any{"4", 2}}),
		"6":  node("CLIPTextEncode", map[string]any{"text": prompt, "clip": []any{"4", 1}}),
		"7":  node("CLIPTextEncode", map[string]any{"text": "", "clip": []any{"4", 1}}),
		"3": node("KSampler", map[string]any{"model": []any{"4", 0}, "seed": 7, "steps": 2, "cfg": 7,
			"sampler_name": "euler", "scheduler": "normal", "positive": []any{"6", 0}, "negative": []any{"7", 0},
			"latent_image": []any{"11", 0}, "denoise": 0.6}),
		"8": node("VAEDecode", map[string]any{"samples": []any{"3", 0}, "vae": []any{"4", 2}}),
		"9": node("SaveImage", map[string]any{"images": []any{"8", 0}, "filename_prefix": "i2i"}),
	}
	b, _ := json.Marshal(nodes)
	return b
}

func TestUploadAndLoadImage(t *testing.T) {
	env := newSimEnv(t, comfysim.Options{})
	ctx := context.Background()
	src, err := comfysim.Render("source", 1, nil, 40, 30, nil)
	if err != nil {
		t.Fatal(err)
	}
	name, err := env.client.UploadImage(ctx, "src.png", src)
	if err != nil {
		t.Fatal(err)
	}
	if name != "src.png" || !slices.Equal(env.sim.Uploads(), []string{"src.png"}) {
		t.Fatalf("upload name %q, sim uploads %v", name, env.sim.Uploads())
	}
	res, err := env.client.Generate(ctx, comfy.Job{Graph: img2img("a cat", name), OutputNode: "9", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// The simulator blends the decoded input into the sampled image.
	encoded, _ := comfysim.Render("", 0, nil, 40, 30, [][]byte{src})
	want, _ := comfysim.Render("a cat", 7, nil, 40, 30, [][]byte{encoded})
	if len(res.Images) != 1 || !bytes.Equal(res.Images[0].Data, want) {
		t.Error("img2img output is not the render of prompt, seed and the uploaded image")
	}
	plain, _ := comfysim.Render("a cat", 7, nil, 40, 30, nil)
	if bytes.Equal(res.Images[0].Data, plain) {
		t.Error("the uploaded image had no effect")
	}
}

func TestResultComesFromOwnHistory(t *testing.T) {
	sim := comfysim.New(comfysim.Options{StepDelay: 5 * time.Millisecond})
	var ourID atomic.Value
	theirsDone := make(chan genResult, 1)
	theirsFinished := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, _ := ourID.Load().(string); id != "" && r.URL.Path == "/history/"+id {
			// Hold our history read until the other client's later prompt
			// has finished and written a newer file.
			select {
			case <-theirsFinished:
			case <-time.After(5 * time.Second):
			}
		}
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	defer sim.Close()
	ours := comfy.New(srv.URL, srv.Client())
	other := comfy.New(srv.URL, srv.Client())
	res, err := ours.Generate(context.Background(), comfy.Job{
		Graph: txt2img{prompt: "ours", seed: 1, steps: 5}.graph(), Timeout: 10 * time.Second,
		OnQueued: func(id string) {
			ourID.Store(id)
			go func() {
				res, err := other.Generate(context.Background(), comfy.Job{Graph: txt2img{prompt: "theirs", seed: 2, steps: 1}.graph()})
				theirsDone <- genResult{res, err}
				close(theirsFinished)
			}()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tr := recv(t, theirsDone, "their result")
	if tr.err != nil {
		t.Fatal(tr.err)
	}
	if tr.res.Images[0].Filename != "test_00002_.png" {
		t.Errorf("their file = %s, want the newer test_00002_.png", tr.res.Images[0].Filename)
	}
	want, _ := comfysim.Render("ours", 1, nil, 64, 48, nil)
	if len(res.Images) != 1 || !bytes.Equal(res.Images[0].Data, want) || res.Images[0].Filename != "test_00001_.png" {
		t.Errorf("got %s, want our own image test_00001_.png", res.Images[0].Filename)
	}
}

func TestPollingWithoutWebsocket(t *testing.T) {
	sim := comfysim.New(comfysim.Options{StepDelay: time.Millisecond})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws" {
			http.Error(w, "no websockets here", http.StatusNotFound)
			return
		}
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	defer sim.Close()
	c := comfy.New(srv.URL, srv.Client())
	res, err := c.Generate(context.Background(), comfy.Job{Graph: txt2img{prompt: "polled"}.graph(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := comfysim.Render("polled", 0, nil, 64, 48, nil)
	if !bytes.Equal(res.Images[0].Data, want) {
		t.Error("polled result differs from the render")
	}
}

func TestWebsocketDropsMidJob(t *testing.T) {
	sim := comfysim.New(comfysim.Options{StepDelay: 20 * time.Millisecond})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ws" {
			sim.ServeHTTP(w, r)
			return
		}
		// A socket that greets and then dies while the prompt runs.
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		_ = conn.Write(ctx, websocket.MessageText, []byte(`{"type":"status","data":{"status":{"exec_info":{"queue_remaining":0}},"sid":"x"}}`))
		_ = conn.Write(ctx, websocket.MessageBinary, []byte{0, 0, 0, 1, 0, 0, 0, 2, 1, 2, 3})
		time.Sleep(100 * time.Millisecond)
		_ = conn.CloseNow()
	}))
	defer srv.Close()
	defer sim.Close()
	c := comfy.New(srv.URL, srv.Client())
	res, err := c.Generate(context.Background(), comfy.Job{Graph: txt2img{prompt: "dropped", steps: 10}.graph(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := comfysim.Render("dropped", 0, nil, 64, 48, nil)
	if !bytes.Equal(res.Images[0].Data, want) {
		t.Error("result after websocket drop differs from the render")
	}
}

func TestBaseURLWithPathPrefix(t *testing.T) {
	sim := comfysim.New(comfysim.Options{})
	mux := http.NewServeMux()
	mux.Handle("/ComfyBackendDirect/", http.StripPrefix("/ComfyBackendDirect", sim))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer sim.Close()
	c := comfy.New(srv.URL+"/ComfyBackendDirect/", srv.Client())
	var progressed bool
	res, err := c.Generate(context.Background(), comfy.Job{Graph: txt2img{prompt: "prefixed"}.graph(), Timeout: 10 * time.Second,
		OnProgress: func(comfy.Progress) { progressed = true }})
	if err != nil {
		t.Fatal(err)
	}
	if !progressed {
		t.Error("no progress through the prefixed websocket")
	}
	if len(res.Images) != 1 {
		t.Errorf("got %d images", len(res.Images))
	}
}

func TestObjectInfoAndModels(t *testing.T) {
	env := newSimEnv(t, comfysim.Options{Checkpoints: []string{"a.safetensors", "b.safetensors"}, LoRAs: []string{"style/x.safetensors"}})
	ctx := context.Background()
	got, err := env.client.Models(ctx, "CheckpointLoaderSimple", "ckpt_name")
	if err != nil || !slices.Equal(got, []string{"a.safetensors", "b.safetensors"}) {
		t.Errorf("checkpoints = %v, %v", got, err)
	}
	got, err = env.client.Models(ctx, "LoraLoader", "lora_name")
	if err != nil || !slices.Equal(got, []string{"style/x.safetensors"}) {
		t.Errorf("loras = %v, %v", got, err)
	}
	info, err := env.client.ObjectInfo(ctx, "")
	if err != nil || !info["SaveImage"].OutputNode || info["KSampler"].Input.Required["steps"].Type != "INT" {
		t.Errorf("object info: SaveImage %+v, err %v", info["SaveImage"], err)
	}
	st, err := env.client.SystemStats(ctx)
	if err != nil || st.System.ComfyUIVersion == "" || len(st.Devices) == 0 {
		t.Errorf("system stats = %+v, %v", st, err)
	}
}

func TestInputSpecForms(t *testing.T) {
	cases := []struct {
		name, json, typ string
		options         []string
	}{
		{"legacy combo", `[["a.safetensors","b.safetensors"],{"tooltip":"x"}]`, "COMBO", []string{"a.safetensors", "b.safetensors"}},
		{"v3 combo", `["COMBO",{"options":["x","y"],"multiselect":false}]`, "COMBO", []string{"x", "y"}},
		{"int", `["INT",{"default":20,"min":1}]`, "INT", nil},
		{"link type only", `["MODEL"]`, "MODEL", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var in comfy.InputSpec
			if err := json.Unmarshal([]byte(tc.json), &in); err != nil {
				t.Fatal(err)
			}
			if in.Type != tc.typ || !slices.Equal(in.Options, tc.options) {
				t.Errorf("got %+v", in)
			}
		})
	}
	var in comfy.InputSpec
	if err := json.Unmarshal([]byte(`{"a":1}`), &in); err == nil || !strings.Contains(err.Error(), "comfy:") {
		t.Errorf("object accepted as input spec: %v", err)
	}
}
