package catalog

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// loadBuiltin loads the embedded configs and fails on any problem.
func loadBuiltin(t *testing.T) *Catalog {
	t.Helper()
	c, probs, err := Load(Builtin(), "", nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, p := range probs {
		t.Errorf("built-in problem: %s", p)
	}
	return c
}

var wantInterceptions = []string{
	"youth_slang", "dada", "bauhaus", "renaissance", "technical_drawing", "the_opposite",
	"telephone_game", "pig_latin", "analog_photo_1870s", "analog_photo_1970s", "overdrive", DefaultInterception,
}

var wantOutputs = []string{"sd35_large", "flux_dev", "sd35_img2img", "sd35_blend"}

func TestBuiltinsLoadWithoutProblems(t *testing.T) {
	c := loadBuiltin(t)
	if n := len(c.Interceptions()); n < 12 {
		t.Errorf("%d interception configs, want at least 12", n)
	}
	for _, id := range wantInterceptions {
		if _, ok := c.Interception(id); !ok {
			t.Errorf("interception %q missing", id)
		}
	}
	for _, id := range wantOutputs {
		o, ok := c.Output(id)
		if !ok {
			t.Errorf("output %q missing", id)
			continue
		}
		if o.Workflow != "" && o.Graph == nil {
			t.Errorf("output %q: workflow %s not attached", id, o.Workflow)
		}
	}
	if probs := Check(Builtin(), ""); len(probs) != 0 {
		t.Errorf("Check(builtin) = %v, want none", probs)
	}
}

func TestBuiltinInterceptionsAreBilingual(t *testing.T) {
	c := loadBuiltin(t)
	for _, in := range c.Interceptions() {
		texts := map[string]Text{"name": in.Name, "description": in.Description, "category": in.Category}
		if in.ID != DefaultInterception {
			texts["context"] = in.Context
		}
		for field, txt := range texts {
			if strings.TrimSpace(txt.DE) == "" || strings.TrimSpace(txt.EN) == "" {
				t.Errorf("%s: %s lacks a language: %+v", in.ID, field, txt)
			}
			if txt.DE == txt.EN && field != "name" {
				t.Errorf("%s: %s is not translated: %q", in.ID, field, txt.DE)
			}
		}
		if in.ID == DefaultInterception {
			if !in.UserDefined || !in.Context.IsZero() {
				t.Errorf("%s: want an empty, user-defined context, got %+v", in.ID, in.Context)
			}
			continue
		}
		if in.UserDefined {
			t.Errorf("%s: UserDefined set", in.ID)
		}
		for _, lang := range []string{"de", "en"} {
			ctx := in.Context.Get(lang)
			if n := strings.Count(ctx, ". ") + 1; n < 4 || n > 12 {
				t.Errorf("%s: %s context has about %d sentences, want 4-10", in.ID, lang, n)
			}
		}
		if in.Display.Icon == "" || in.Audience.MinAge == 0 || !in.Audience.WorkshopSuitable {
			t.Errorf("%s: display/audience incomplete: %+v %+v", in.ID, in.Display, in.Audience)
		}
	}
}

func TestBuiltinLoRAs(t *testing.T) {
	c := loadBuiltin(t)
	tests := []struct {
		id       string
		name     string
		strength float64
		trigger  string
	}{
		{"analog_photo_1970s", "film_grain_1970s.safetensors", 0.7, "kodachrome film photo"},
		{"technical_drawing", "blueprint_lineart.safetensors", 0.8, ""},
	}
	for _, tt := range tests {
		in, ok := c.Interception(tt.id)
		if !ok {
			t.Fatalf("%s missing", tt.id)
		}
		if len(in.LoRAs) != 1 {
			t.Fatalf("%s: loras = %+v", tt.id, in.LoRAs)
		}
		l := in.LoRAs[0]
		if l.Name != tt.name || l.Strength != tt.strength || l.Trigger != tt.trigger {
			t.Errorf("%s: lora = %+v", tt.id, l)
		}
		o, ok := c.Output(in.MediaPreferences.DefaultOutput)
		if !ok || o.Graph == nil || !strings.HasPrefix(o.ID, "sd35") {
			t.Errorf("%s: default output %q is not an SD3.5 output with a workflow", tt.id, in.MediaPreferences.DefaultOutput)
		}
	}
}

func TestBuiltinOutputs(t *testing.T) {
	c := loadBuiltin(t)
	sd, _ := c.Output("sd35_large")
	if sd.Backend != BackendSwarmUI || sd.Model != "OfficialStableDiffusion/sd3.5_large.safetensors" ||
		sd.Parameters.Width != 1024 || sd.Parameters.Steps != 25 || sd.Parameters.CFG != 4.5 || !sd.Parameters.Seed.Random {
		t.Errorf("sd35_large = %+v", sd)
	}
	for _, name := range []string{"prompt", "negative_prompt", "seed", "width", "height", "steps", "cfg"} {
		if _, ok := sd.Inputs[name]; !ok {
			t.Errorf("sd35_large lacks binding %q", name)
		}
	}
	if class, _ := sd.Graph.ClassOf(sd.OutputNode); class != "SaveImage" {
		t.Errorf("sd35_large output node %q is %q", sd.OutputNode, class)
	}
	img, _ := c.Output("sd35_img2img")
	if img.OutputNode != "10" {
		t.Errorf("output named by title resolved to %q, want node id 10", img.OutputNode)
	}
	if img.Uploads != (Uploads{Min: 1, Max: 1}) {
		t.Errorf("sd35_img2img uploads = %+v", img.Uploads)
	}
	blend, _ := c.Output("sd35_blend")
	for n := 1; n <= blend.Uploads.Max; n++ {
		b := blend.Inputs[ImageBinding(n)]
		id, err := blend.Graph.Resolve(b)
		if class, _ := blend.Graph.ClassOf(id); err != nil || class != "LoadImage" {
			t.Errorf("sd35_blend %s -> %q (%s), %v", ImageBinding(n), id, class, err)
		}
	}
	flux, _ := c.Output("flux_dev")
	if flux.Backend != BackendComfyUI || len(flux.Graph.FindByClass("SamplerCustomAdvanced")) != 1 {
		t.Errorf("flux_dev = %+v", flux)
	}
}

func TestModelFiles(t *testing.T) {
	c := loadBuiltin(t)
	models, loras := c.ModelFiles()
	for _, m := range []string{"sd3.5_large.safetensors", "OfficialStableDiffusion/sd3.5_large.safetensors",
		"flux1-dev.safetensors", "clip_l.safetensors", "t5xxl_fp16.safetensors", "ae.safetensors"} {
		if !slices.Contains(models, m) {
			t.Errorf("models %v lack %q", models, m)
		}
	}
	for _, l := range []string{"film_grain_1970s.safetensors", "blueprint_lineart.safetensors"} {
		if !slices.Contains(loras, l) {
			t.Errorf("loras %v lack %q", loras, l)
		}
	}
	if !slices.IsSorted(models) || len(slices.Compact(slices.Clone(models))) != len(models) {
		t.Errorf("models not sorted and unique: %v", models)
	}
	models[0] = "changed"
	if again, _ := c.ModelFiles(); again[0] == "changed" {
		t.Error("ModelFiles exposes internal state")
	}
}

func TestOrdering(t *testing.T) {
	c := loadBuiltin(t)
	ins := c.Interceptions()
	if ins[0].ID != DefaultInterception {
		t.Errorf("first interception = %q, want %q (order 10)", ins[0].ID, DefaultInterception)
	}
	if !slices.IsSortedFunc(ins, func(a, b *Interception) int { return byOrder(a.Display.Order, b.Display.Order, a.ID, b.ID) }) {
		t.Error("interceptions not sorted by order, id")
	}
	sums := c.Summaries("")
	if len(sums) != len(ins)+len(c.Outputs()) || sums[0].Kind != KindInterception || sums[len(sums)-1].Kind != KindOutput {
		t.Errorf("Summaries(\"\") has %d entries", len(sums))
	}
	if n := len(c.Summaries(KindOutput)); n != len(wantOutputs) {
		t.Errorf("Summaries(output) = %d entries", n)
	}
}

func TestInvalidBuiltinFailsLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"interception/bad.json": {Data: []byte(`{"name": "x"}`)},
	}
	_, probs, err := Load(fsys, "", nil)
	if !errors.Is(err, ErrInvalidBuiltin) {
		t.Fatalf("err = %v, want ErrInvalidBuiltin", err)
	}
	if !strings.Contains(err.Error(), "builtin/interception/bad.json") {
		t.Errorf("error %q does not name the file", err)
	}
	if !HasError(probs) {
		t.Errorf("problems = %v", probs)
	}
}

func TestMissingOverrideDirFailsLoad(t *testing.T) {
	if _, _, err := Load(Builtin(), t.TempDir()+"/nope", nil); err == nil {
		t.Fatal("Load with a missing config dir succeeded")
	}
}

func TestFullConfigJSON(t *testing.T) {
	c := loadBuiltin(t)
	for _, in := range c.Interceptions() {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("%s: %v", in.ID, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || m["id"] != in.ID || m["context"] == nil {
			t.Errorf("%s: marshalled to %s", in.ID, b)
		}
	}
	for _, o := range c.Outputs() {
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatalf("%s: %v", o.ID, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || m["id"] != o.ID || m["parameters"] == nil || m["inputs"] == nil {
			t.Errorf("%s: marshalled to %s", o.ID, b)
		}
		if seed := m["parameters"].(map[string]any)["seed"]; seed != "random" {
			t.Errorf("%s: seed marshalled as %v", o.ID, seed)
		}
	}
}
