package swarm

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var pngBytes = []byte("\x89PNG\r\n\x1a\nfake image data")

func TestGenerateText2ImageSendsParamsAndFetches(t *testing.T) {
	f := newFakeSwarm(t)
	f.files["View/local/raw/2024-05-19/a cat-1.png"] = pngBytes
	f.handle("GenerateText2Image", func(map[string]any) (int, any) {
		return 200, map[string]any{"images": []string{
			"View/local/raw/2024-05-19/a cat-1.png",
			"data:image/jpeg;base64," + base64.StdEncoding.EncodeToString([]byte("jpegdata")),
		}}
	})
	c := f.client()
	imgs, err := c.GenerateText2Image(t.Context(), T2IRequest{
		Prompt: "a cat", NegativePrompt: "blurry", Model: "OfficialStableDiffusion/sd3.5_large",
		Width: 1024, Height: 768, Steps: 25, CFG: 4.5, Seed: 42,
		Sampler: "euler", Scheduler: "simple",
		LoRAs: []string{"styles/ink.safetensors", "b.safetensors"}, LoRAWeights: []float64{0.8, 1},
		Images: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	body := f.lastBody("GenerateText2Image")
	want := map[string]any{
		"prompt": "a cat", "negativeprompt": "blurry", "model": "OfficialStableDiffusion/sd3.5_large",
		"width": 1024.0, "height": 768.0, "steps": 25.0, "cfgscale": 4.5, "seed": 42.0,
		"sampler": "euler", "scheduler": "simple",
		"loras": "styles/ink.safetensors,b.safetensors", "loraweights": "0.8,1", "images": 2.0,
	}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("param %s = %#v, want %#v", k, body[k], v)
		}
	}
	if body["session_id"] == "" || body["session_id"] == nil {
		t.Error("no session_id sent")
	}
	if len(imgs) != 2 {
		t.Fatalf("got %d images, want 2", len(imgs))
	}
	if !bytes.Equal(imgs[0].Data, pngBytes) || imgs[0].Mime != "image/png" {
		t.Errorf("image 0 = %q %q", imgs[0].Mime, imgs[0].Data)
	}
	if imgs[1].Mime != "image/jpeg" || string(imgs[1].Data) != "jpegdata" {
		t.Errorf("image 1 = %q %q", imgs[1].Mime, imgs[1].Data)
	}
	f.mu.Lock()
	hits := f.viewHits
	f.mu.Unlock()
	if len(hits) != 1 || hits[0] != "/View/local/raw/2024-05-19/a%20cat-1.png" {
		t.Errorf("view requests = %q, want the percent-encoded path", hits)
	}
}

func TestParamsDefaults(t *testing.T) {
	p, err := T2IRequest{Prompt: "x", LoRAs: []string{"a"}}.params()
	if err != nil {
		t.Fatal(err)
	}
	if p["images"] != 1 || p["loraweights"] != "1" || p["seed"] != int64(0) {
		t.Errorf("defaults = %#v", p)
	}
	for _, k := range []string{"model", "width", "cfgscale", "negativeprompt", "sampler"} {
		if _, ok := p[k]; ok {
			t.Errorf("zero %s should be left out", k)
		}
	}
	if _, err := (T2IRequest{LoRAs: []string{"a", "b"}, LoRAWeights: []float64{1}}).params(); err == nil {
		t.Error("mismatched weights accepted")
	}
}

func TestSessionRenewal(t *testing.T) {
	t.Run("expired once is renewed", func(t *testing.T) {
		f := newFakeSwarm(t)
		f.handle("ListModels", func(map[string]any) (int, any) {
			return 200, map[string]any{"folders": []string{}, "files": []map[string]any{}}
		})
		c := f.client()
		if _, err := c.ListModels(t.Context(), SubtypeModel); err != nil {
			t.Fatal(err)
		}
		f.expireAll()
		if _, err := c.ListModels(t.Context(), SubtypeModel); err != nil {
			t.Fatalf("after expiry: %v", err)
		}
		if got := f.count("GetNewSession"); got != 2 {
			t.Errorf("GetNewSession calls = %d, want 2", got)
		}
		if got := f.count("ListModels"); got != 3 {
			t.Errorf("ListModels calls = %d, want 3 (ok, rejected, retried)", got)
		}
	})
	t.Run("second expiry fails clearly", func(t *testing.T) {
		f := newFakeSwarm(t)
		f.handle("ListModels", func(map[string]any) (int, any) {
			f.expireAll() // every session dies as soon as it is used
			return 401, map[string]string{"error": "Invalid session ID. You may need to refresh the page.", "error_id": "invalid_session_id"}
		})
		_, err := f.client().ListModels(t.Context(), SubtypeModel)
		if !errors.Is(err, ErrInvalidSession) {
			t.Fatalf("err = %v, want ErrInvalidSession", err)
		}
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Status != 401 {
			t.Errorf("err = %#v, want an APIError with status 401", err)
		}
		if got := f.count("ListModels"); got != 2 {
			t.Errorf("ListModels calls = %d, want exactly 2", got)
		}
	})
}

func TestConcurrentCallsShareOneSession(t *testing.T) {
	f := newFakeSwarm(t)
	f.handle("GetCurrentStatus", func(map[string]any) (int, any) {
		return 200, map[string]any{"status": map[string]int{"waiting_gens": 1}, "backend_status": map[string]string{"status": "running"}}
	})
	c := f.client()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			s, err := c.CurrentStatus(t.Context())
			if err == nil && (!s.Ready() || s.Waiting != 1) {
				err = errors.New("wrong status")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := f.count("GetNewSession"); got != 1 {
		t.Errorf("GetNewSession calls = %d, want 1", got)
	}
}

func TestErrors(t *testing.T) {
	const unknownModel = "Invalid value for param Model - 'nope' - are you sure that model name is correct?"
	tests := []struct {
		name    string
		status  int
		answer  any
		want    error
		message string
	}{
		{"200 with error", 200, map[string]string{"error": unknownModel}, ErrGenerationFailed, unknownModel},
		{"missing images", 200, map[string]string{"error": "Missing required parameter 'images'"}, ErrGenerationFailed, "Missing required parameter 'images'"},
		{"html 500", 500, "<html><body><h1>500 Internal Server Error</h1></body></html>", ErrBadResponse, ""},
		{"starting 503", 503, "starting up", ErrUnavailable, ""},
		{"garbage 200", 200, "not json at all", ErrBadResponse, ""},
		{"json without images", 200, map[string]any{"images": []string{}}, ErrGenerationFailed, ""},
		{"internal error", 400, map[string]string{"error_id": "internal_error", "error": "An internal error occurred"}, nil, "An internal error occurred"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSwarm(t)
			f.handle("GenerateText2Image", func(map[string]any) (int, any) { return tt.status, tt.answer })
			_, err := f.client().GenerateText2Image(t.Context(), T2IRequest{Prompt: "x", Model: "nope"})
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if tt.message != "" {
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.Message != tt.message {
					t.Errorf("err = %v, want message %q passed through", err, tt.message)
				}
			}
			if errors.Is(err, ErrInvalidSession) || (tt.want != ErrUnavailable && errors.Is(err, ErrUnavailable)) {
				t.Errorf("err = %v misclassified", err)
			}
		})
	}
}

func TestMissingImageIs404(t *testing.T) {
	f := newFakeSwarm(t)
	f.handle("GenerateText2Image", func(map[string]any) (int, any) {
		return 200, map[string]any{"images": []string{"View/local/raw/gone.png"}}
	})
	_, err := f.client().GenerateText2Image(t.Context(), T2IRequest{Prompt: "x"})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.ID != "file_not_found" || apiErr.Status != 404 {
		t.Fatalf("err = %v, want file_not_found 404", err)
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := New("http://"+addr, &http.Client{Transport: &http.Transport{}})
	defer c.hc.CloseIdleConnections()
	_, err = c.NewSession(t.Context())
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestFakeRejectsChunkedBody(t *testing.T) {
	// Guards the fake: SwarmUI refuses bodies without a Content-Length, and
	// so must the fake, or the client's length guarantee is untested.
	f := newFakeSwarm(t)
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/API/GetNewSession", io.MultiReader(strings.NewReader("{}")))
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(string(b), "bad content length") {
		t.Fatalf("chunked body: %d %s", resp.StatusCode, b)
	}
	if _, err := f.client().NewSession(t.Context()); err != nil {
		t.Fatalf("client request rejected: %v", err)
	}
}

func TestListModels(t *testing.T) {
	f := newFakeSwarm(t)
	f.handle("ListModels", func(body map[string]any) (int, any) {
		if body["subtype"] == "LoRA" {
			return 200, map[string]any{"folders": []string{"styles"}, "files": []map[string]any{
				{"name": "styles/ink.safetensors", "title": "Ink", "architecture": "stable-diffusion-v3.5-large/lora", "local": true},
			}}
		}
		return 200, map[string]any{"error": "Invalid sub-type."}
	})
	c := f.client()
	models, err := c.ListModels(t.Context(), SubtypeLoRA)
	if err != nil {
		t.Fatal(err)
	}
	if len(models) != 1 || models[0] != (Model{Name: "styles/ink.safetensors", Title: "Ink", Architecture: "stable-diffusion-v3.5-large/lora"}) {
		t.Errorf("models = %+v", models)
	}
	body := f.lastBody("ListModels")
	if body["path"] != "" || body["depth"].(float64) < 2 {
		t.Errorf("ListModels body = %v, want path \"\" and a depth reaching nested folders", body)
	}
	if _, err := c.ListModels(t.Context(), "Nope"); !errors.Is(err, ErrGenerationFailed) {
		t.Errorf("invalid subtype: err = %v", err)
	}
}

func TestInterruptAll(t *testing.T) {
	f := newFakeSwarm(t)
	f.handle("InterruptAll", func(map[string]any) (int, any) { return 200, map[string]bool{"success": true} })
	if err := f.client().InterruptAll(t.Context()); err != nil {
		t.Fatal(err)
	}
	if f.lastBody("InterruptAll")["other_sessions"] != false {
		t.Error("other_sessions not false")
	}
}

func TestContextCancelStopsWaiting(t *testing.T) {
	f := newFakeSwarm(t)
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	f.handle("GenerateText2Image", func(map[string]any) (int, any) {
		close(started)
		<-release
		return 200, map[string]any{"images": []string{}}
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := f.client().GenerateText2Image(ctx, T2IRequest{Prompt: "slow"})
		done <- err
	}()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("request never arrived")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not stop the call")
	}
}
