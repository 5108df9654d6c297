package catalog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const baseInterception = `{
  "name": {"de": "Test", "en": "Test"},
  "description": {"de": "Eine Testvorlage.", "en": "A test config."},
  "category": {"de": "Test", "en": "Test"},
  "context": {"de": "Schreibe alles in Großbuchstaben.", "en": "Write everything in capitals."},
  "parameters": {"temperature": 0.5, "top_p": 0.9, "max_tokens": 200},
  "media_preferences": {"default_output": "sd35_large", "supported_types": ["image"]},
  "display": {"icon": "🧪", "color": "#123456", "order": 500},
  "audience": {"min_age": 10, "workshop_suitable": true}
}`

const baseOutput = `{
  "name": {"de": "Eigenes Flux", "en": "Own Flux"},
  "description": {"de": "Flux mit weniger Schritten.", "en": "Flux with fewer steps."},
  "category": {"de": "Bild aus Text", "en": "Text to image"},
  "media": "image",
  "backend": "comfyui",
  "model": "flux1-dev.safetensors",
  "parameters": {"width": 768, "height": 768, "steps": 12, "cfg": 3.5, "seed": 7},
  "workflow": "flux_dev.json",
  "inputs": {"prompt": {"node": "4", "field": "text"}, "seed": {"title": "Noise", "field": "noise_seed"}},
  "output": "13",
  "lora_target": "1",
  "display": {"icon": "bolt", "color": "#abcdef", "order": 99}
}`

// variant returns base with changes applied to its decoded form.
func variant(t *testing.T, base string, change func(m map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(base), &m); err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(m)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeTree writes files (relative slash paths) below a new temp dir.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readBuiltin(t *testing.T, name string) string {
	t.Helper()
	b, err := Builtin().(interface{ ReadFile(string) ([]byte, error) }).ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestValidOverrides(t *testing.T) {
	sdWorkflow := strings.Replace(readBuiltin(t, "workflows/sd35_large.json"), `"filename_prefix": "ai4artsed"`, `"filename_prefix": "workshop"`, 1)
	community := `{
  "pipeline": "text_transformation", "instruction_type": "artistic_transformation",
  "name": {"en": "Community", "de": "Gemeinschaft"},
  "description": {"en": "From the community.", "de": "Aus der Gemeinschaft."},
  "category": {"de": "Kunst", "en": "Art"},
  "properties": ["x"],
  "context": "Beschreibe alles als Mosaik.",
  "parameters": {"temperature": 0.7, "top_p": 0.9, "max_tokens": 2048},
  "media_preferences": {"default_output": "image", "supported_types": ["image", "audio"]},
  "meta": {"stage": "interception", "loras": [{"name": "styles/mosaic.safetensors", "strength": 0.6, "trigger": "mosaic"}]},
  "display": {"icon": "🧩", "color": "#795548", "category": "art", "difficulty": 3, "order": 100},
  "tags": {"en": ["a"], "de": ["b"]},
  "audience": {"workshop_suitable": true, "min_age": 12, "complexity": "advanced"}
}`
	dir := writeTree(t, map[string]string{
		"interception/dada.json": variant(t, readBuiltin(t, "interception/dada.json"), func(m map[string]any) {
			m["name"] = map[string]any{"de": "Dada (Werkstatt)", "en": "Dada (workshop)"}
		}),
		"interception/my_rules.json":  variant(t, baseInterception, func(m map[string]any) { m["media_preferences"].(map[string]any)["default_output"] = "my_flux" }),
		"interception/community.json": community,
		"output/my_flux.json":         baseOutput,
		"workflows/sd35_large.json":   sdWorkflow,
		"README.txt":                  "not a config",
	})
	var logBuf bytes.Buffer
	c, probs, err := Load(Builtin(), dir, slog.New(slog.NewTextHandler(&logBuf, nil)))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, p := range probs {
		t.Errorf("unexpected problem: %s", p)
	}
	dada, _ := c.Interception("dada")
	if dada.Name.EN != "Dada (workshop)" || !strings.HasPrefix(dada.File, dir) {
		t.Errorf("dada not overridden: %+v from %s", dada.Name, dada.File)
	}
	mine, ok := c.Interception("my_rules")
	if !ok || mine.MediaPreferences.DefaultOutput != "my_flux" {
		t.Errorf("my_rules = %+v, %v", mine, ok)
	}
	flux, ok := c.Output("my_flux")
	if !ok || flux.Parameters.Seed != (Seed{Value: 7}) || flux.Graph == nil {
		t.Fatalf("my_flux = %+v, %v", flux, ok)
	}
	com, _ := c.Interception("community")
	if com.MediaPreferences.DefaultMedia != "image" || com.MediaPreferences.DefaultOutput != "" ||
		len(com.LoRAs) != 1 || com.LoRAs[0].Trigger != "mosaic" || com.Context.EN != com.Context.DE {
		t.Errorf("community = %+v", com)
	}
	_, loras := c.ModelFiles()
	if !strings.Contains(strings.Join(loras, ","), "styles/mosaic.safetensors") {
		t.Errorf("loras %v lack the override's LoRA", loras)
	}
	sd, _ := c.Output("sd35_large")
	if v, _ := sd.Graph.Input("8", "filename_prefix"); v != "workshop" {
		t.Errorf("built-in output still uses the built-in workflow: filename_prefix %v", v)
	}
	if !strings.Contains(logBuf.String(), "interceptions=14") {
		t.Errorf("log lacks the loaded count: %s", logBuf.String())
	}
}

func TestBrokenOverrides(t *testing.T) {
	tests := []struct {
		name      string
		file      string // relative path in the override dir
		data      func(t *testing.T) string
		field     string // expected Problem.Field
		message   string // substring of the message
		warning   bool   // the file still loads
		stillGone string // id that must not exist afterwards ("" = skip)
		keeps     func(c *Catalog) bool
	}{
		{
			name: "bad JSON", file: "interception/dada.json",
			data:    func(*testing.T) string { return "{\n  \"name\": {\"de\": \"x\",\n}" },
			message: "invalid JSON at line 3",
			keeps:   func(c *Catalog) bool { d, _ := c.Interception("dada"); return d.Name.EN == "Dada" },
		},
		{
			name: "temperature out of range", file: "interception/dada.json",
			data: func(t *testing.T) string {
				return variant(t, readBuiltin(t, "interception/dada.json"), func(m map[string]any) {
					m["parameters"].(map[string]any)["temperature"] = 5
				})
			},
			field: "parameters.temperature", message: "outside 0..2",
			keeps: func(c *Catalog) bool { d, _ := c.Interception("dada"); return *d.Parameters.Temperature == 1.0 },
		},
		{
			name: "binding to a missing node", file: "output/sd35_large.json",
			data: func(t *testing.T) string {
				return variant(t, readBuiltin(t, "output/sd35_large.json"), func(m map[string]any) {
					m["model"] = "other.safetensors"
					m["inputs"].(map[string]any)["prompt"] = map[string]any{"node": "99", "field": "text"}
				})
			},
			field: "inputs.prompt", message: `no node "99"`,
			keeps: func(c *Catalog) bool { o, _ := c.Output("sd35_large"); return o.Model != "other.safetensors" },
		},
		{
			name: "binding to a missing field", file: "output/my_flux.json",
			data: func(t *testing.T) string {
				return variant(t, baseOutput, func(m map[string]any) {
					m["inputs"].(map[string]any)["negative_prompt"] = map[string]any{"title": "Guider", "field": "negative"}
				})
			},
			field: "inputs.negative_prompt", message: "no input", stillGone: "my_flux",
		},
		{
			name: "unknown field", file: "interception/extra.json",
			data: func(t *testing.T) string {
				return variant(t, baseInterception, func(m map[string]any) { m["colour"] = "#ffffff" })
			},
			field: "colour", message: "unknown field", warning: true,
			keeps: func(c *Catalog) bool { _, ok := c.Interception("extra"); return ok },
		},
		{
			name: "wrong type", file: "interception/typed.json",
			data: func(t *testing.T) string {
				return variant(t, baseInterception, func(m map[string]any) { m["audience"].(map[string]any)["min_age"] = "ten" })
			},
			field: "audience.min_age", message: "want an integer", stillGone: "typed",
		},
		{
			name: "default output missing", file: "interception/lost.json",
			data: func(t *testing.T) string {
				return variant(t, baseInterception, func(m map[string]any) { m["media_preferences"].(map[string]any)["default_output"] = "nope" })
			},
			field: "media_preferences.default_output", message: `no output config "nope"`, stillGone: "lost",
		},
		{
			name: "LoRA name escapes", file: "interception/sneaky.json",
			data: func(t *testing.T) string {
				return variant(t, baseInterception, func(m map[string]any) {
					m["loras"] = []any{map[string]any{"name": "../x.safetensors", "strength": 1}}
				})
			},
			field: "loras[0].name", message: "..", stillGone: "sneaky",
		},
		{
			name: "LoRA strength out of range", file: "interception/strong.json",
			data: func(t *testing.T) string {
				return variant(t, baseInterception, func(m map[string]any) {
					m["loras"] = []any{map[string]any{"name": "x.safetensors", "strength": 101}}
				})
			},
			field: "loras[0].strength", message: "-100..100", stillGone: "strong",
		},
		{
			name: "empty context", file: "interception/blank.json",
			data: func(t *testing.T) string {
				return variant(t, baseInterception, func(m map[string]any) { m["context"] = "" })
			},
			field: "context", message: "only \"user_defined\"", stillGone: "blank",
		},
		{
			name: "bad colour", file: "interception/pale.json",
			data: func(t *testing.T) string {
				return variant(t, baseInterception, func(m map[string]any) { m["display"].(map[string]any)["color"] = "red" })
			},
			field: "display.color", message: "#rrggbb", stillGone: "pale",
		},
		{
			name: "id used by both kinds", file: "output/dada.json",
			data:  func(*testing.T) string { return baseOutput },
			field: "", message: "already used by an interception", stillGone: "",
			keeps: func(c *Catalog) bool { _, ok := c.Output("dada"); return !ok },
		},
		{
			name: "comfyui without workflow", file: "output/bare.json",
			data: func(t *testing.T) string {
				return variant(t, baseOutput, func(m map[string]any) {
					for _, k := range []string{"workflow", "inputs", "output", "lora_target"} {
						delete(m, k)
					}
				})
			},
			field: "workflow", message: "required for the comfyui backend", stillGone: "bare",
		},
		{
			name: "missing workflow file", file: "output/ghost.json",
			data: func(t *testing.T) string {
				return variant(t, baseOutput, func(m map[string]any) { m["workflow"] = "ghost.json" })
			},
			field: "workflow", message: `no workflow "ghost.json"`, stillGone: "ghost",
		},
		{
			name: "output node is not an image output", file: "output/wrong_out.json",
			data: func(t *testing.T) string {
				return variant(t, baseOutput, func(m map[string]any) { m["output"] = "12" })
			},
			field: "output", message: "not a SaveImage", stillGone: "wrong_out",
		},
		{
			name: "uploads without image binding", file: "output/upl.json",
			data: func(t *testing.T) string {
				return variant(t, baseOutput, func(m map[string]any) { m["uploads"] = map[string]any{"min": 1, "max": 1} })
			},
			field: "inputs", message: `no "image" binding`, stillGone: "upl",
		},
		{
			name: "size not a multiple of 8", file: "output/odd.json",
			data: func(t *testing.T) string {
				return variant(t, baseOutput, func(m map[string]any) { m["parameters"].(map[string]any)["width"] = 1001 })
			},
			field: "parameters.width", message: "multiple of 8", stillGone: "odd",
		},
		{
			name: "bad seed", file: "output/seedy.json",
			data: func(t *testing.T) string {
				return variant(t, baseOutput, func(m map[string]any) { m["parameters"].(map[string]any)["seed"] = "lucky" })
			},
			field: "parameters.seed", message: `"random"`, stillGone: "seedy",
		},
		{
			name: "unknown lora target", file: "output/aim.json",
			data: func(t *testing.T) string {
				return variant(t, baseOutput, func(m map[string]any) { m["lora_target"] = "3" })
			},
			field: "lora_target", message: "", stillGone: "aim",
		},
		{
			name: "workflow that breaks a built-in output", file: "workflows/sd35_large.json",
			data: func(t *testing.T) string {
				return strings.Replace(readBuiltin(t, "workflows/sd35_large.json"), `"title": "Positive Prompt"`, `"title": "Prompt"`, 1)
			},
			field: "", message: `breaks output "sd35_large"`,
			keeps: func(c *Catalog) bool {
				o, _ := c.Output("sd35_large")
				return len(o.Graph.FindByTitle("Positive Prompt")) == 1
			},
		},
		{
			name: "workflow with a dangling link", file: "workflows/broken.json",
			data: func(*testing.T) string {
				return `{"1": {"class_type": "SaveImage", "inputs": {"images": ["7", 0]}, "_meta": {"title": "Save"}}}`
			},
			field: "", message: "missing node",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{tt.file: tt.data(t)})
			c, probs, err := Load(Builtin(), dir, nil)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			wantFile := filepath.Join(dir, filepath.FromSlash(tt.file))
			found := false
			for _, p := range probs {
				if p.File == wantFile && p.Field == tt.field && strings.Contains(p.Message, tt.message) && p.Warning == tt.warning {
					found = true
				} else if !p.Warning || !tt.warning {
					t.Logf("other problem: %s", p)
				}
			}
			if !found {
				t.Errorf("no problem {file %s, field %q, message ~%q, warning %v} in %v", wantFile, tt.field, tt.message, tt.warning, probs)
			}
			if tt.stillGone != "" {
				_, inOK := c.Interception(tt.stillGone)
				_, outOK := c.Output(tt.stillGone)
				if inOK || outOK {
					t.Errorf("broken config %q was loaded", tt.stillGone)
				}
			}
			if tt.keeps != nil && !tt.keeps(c) {
				t.Error("catalog state after the broken override is wrong")
			}
			if n := len(c.Interceptions()); n < len(wantInterceptions) {
				t.Errorf("built-ins lost: %d interceptions", n)
			}
		})
	}
}

func TestCheckReportsEveryProblem(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"interception/many.json": variant(t, baseInterception, func(m map[string]any) {
			m["parameters"] = map[string]any{"temperature": 5, "top_p": 3, "max_tokens": -1}
			m["display"] = map[string]any{"icon": "Not An Icon", "color": "blue"}
			m["audience"] = map[string]any{"min_age": 120}
			m["name"] = map[string]any{"de": "Nur Deutsch"}
		}),
		"output/broken.json": "[1, 2",
	})
	probs := Check(Builtin(), dir)
	want := map[string]bool{
		"parameters.temperature": false, "parameters.top_p": false, "parameters.max_tokens": false,
		"display.icon": false, "display.color": false, "audience.min_age": false, "name.en": false,
	}
	brokenSeen := false
	for _, p := range probs {
		if p.Warning {
			continue
		}
		switch p.File {
		case filepath.Join(dir, "interception", "many.json"):
			if _, ok := want[p.Field]; !ok {
				t.Errorf("unexpected problem %s", p)
			}
			want[p.Field] = true
		case filepath.Join(dir, "output", "broken.json"):
			brokenSeen = true
		default:
			t.Errorf("problem in an unexpected file: %s", p)
		}
	}
	for field, seen := range want {
		if !seen {
			t.Errorf("no problem for field %s in %v", field, probs)
		}
	}
	if !brokenSeen {
		t.Errorf("broken JSON not reported: %v", probs)
	}
}
