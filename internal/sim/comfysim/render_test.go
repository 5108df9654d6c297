package comfysim

import (
	"bytes"
	"image/png"
	"testing"
	"time"
)

func TestRenderDeterministic(t *testing.T) {
	base := func() ([]byte, error) { return Render("a fox", 1, []string{"a.safetensors"}, 96, 64, nil) }
	a, err := base()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := base()
	if !bytes.Equal(a, b) {
		t.Fatal("same arguments gave different bytes")
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(a))
	if err != nil || cfg.Width != 96 || cfg.Height != 64 {
		t.Fatalf("png %+v %v, want 96x64", cfg, err)
	}
	input, _ := Render("input", 9, nil, 20, 20, nil)
	variants := map[string]func() ([]byte, error){
		"seed":    func() ([]byte, error) { return Render("a fox", 2, []string{"a.safetensors"}, 96, 64, nil) },
		"prompt":  func() ([]byte, error) { return Render("a dog", 1, []string{"a.safetensors"}, 96, 64, nil) },
		"lora":    func() ([]byte, error) { return Render("a fox", 1, []string{"b.safetensors"}, 96, 64, nil) },
		"no lora": func() ([]byte, error) { return Render("a fox", 1, nil, 96, 64, nil) },
		"two loras": func() ([]byte, error) {
			return Render("a fox", 1, []string{"a.safetensors", "b.safetensors"}, 96, 64, nil)
		},
		"input": func() ([]byte, error) { return Render("a fox", 1, []string{"a.safetensors"}, 96, 64, [][]byte{input}) },
	}
	for name, f := range variants {
		v, err := f()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if bytes.Equal(v, a) {
			t.Errorf("changing the %s did not change the image", name)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	if _, err := Render("x", 1, nil, 0, 10, nil); err == nil {
		t.Error("width 0 accepted")
	}
	if _, err := Render("x", 1, nil, 10, 10, [][]byte{[]byte("junk")}); err == nil {
		t.Error("undecodable input accepted")
	}
}

func TestRenderSpeed(t *testing.T) {
	start := time.Now()
	data, err := Render("speed", 3, []string{"l.safetensors"}, 1024, 1024, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("1024x1024 render: %v, %d bytes", time.Since(start), len(data))
}

func TestRenderStoresThePromptInATextChunk(t *testing.T) {
	data, err := Render("a fox in the snow", 1, nil, 16, 16, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Fatalf("PNG with tEXt does not decode: %v", err)
	}
	if !bytes.Contains(data, []byte("tEXtprompt\x00a fox in the snow")) {
		t.Fatal("no tEXt chunk prompt with the positive prompt")
	}
}
