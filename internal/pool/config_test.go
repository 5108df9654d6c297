package pool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodFile = `{"machines": [
  {"name": "gpu-1", "kind": "ollama", "url": "http://10.0.0.5:11434", "slots": 2, "models": ["llama3.1:8b"], "labels": ["big"]},
  {"name": "cloud", "kind": "openai", "url": "https://api.example.org/v1", "api_key_env": "CLOUD_KEY"},
  {"name": "art-1", "kind": "swarmui", "url": "http://10.0.0.7:7801", "comfyui_url": "http://10.0.0.7:7821", "start_command": "./launch.sh"},
  {"name": "art-2", "kind": "comfyui", "url": "http://10.0.0.8:8188"}
]}`

func TestParseGood(t *testing.T) {
	f, probs := Parse("backends.json", []byte(goodFile))
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	if got := len(f.LLM()); got != 2 {
		t.Fatalf("%d LLM machines, want 2", got)
	}
	img := f.Image()
	if len(img) != 2 || img[0].Name != "art-1" || img[0].ComfyUIURL != "http://10.0.0.7:7821" || img[0].StartCommand != "./launch.sh" {
		t.Fatalf("image machines %+v", img)
	}
	if f.Machines[0].Slots != 2 || f.Machines[1].Slots != 0 {
		t.Fatalf("slots %d, %d; want 2 and 0 (default)", f.Machines[0].Slots, f.Machines[1].Slots)
	}
}

// TestParseProblems: each broken file is refused with the field at fault.
func TestParseProblems(t *testing.T) {
	m := func(fields string) string { return `{"machines": [` + fields + `]}` }
	ok := `{"name": "a", "kind": "ollama", "url": "http://127.0.0.1:11434"}`
	tests := []struct {
		name, file, field, msg string
	}{
		{"not JSON", `{"machines": [`, "", "not a JSON object"},
		{"trailing data", m(ok) + `{}`, "", "trailing"},
		{"unknown top field", `{"machines": [` + ok + `], "pools": 1}`, "pools", "unknown field"},
		{"no machines", `{"machines": []}`, "machines", "no machine"},
		{"machines not a list", `{"machines": {}}`, "machines", "want a list"},
		{"unknown machine field", m(`{"name": "a", "kind": "ollama", "url": "http://h:1", "slotz": 2}`), "machines[0].slotz", "unknown field"},
		{"duplicate name", m(ok + "," + ok), "machines[1].name", "also the name of machines[0]"},
		{"bad name", m(`{"name": "A B", "kind": "ollama", "url": "http://h:1"}`), "machines[0].name", "want 1 to 40"},
		{"missing kind", m(`{"name": "a", "url": "http://h:1"}`), "machines[0].kind", "missing"},
		{"bad kind", m(`{"name": "a", "kind": "llamafile", "url": "http://h:1"}`), "machines[0].kind", "llamafile"},
		{"missing url", m(`{"name": "a", "kind": "ollama"}`), "machines[0].url", "missing"},
		{"bad url", m(`{"name": "a", "kind": "ollama", "url": "ftp://h"}`), "machines[0].url", "http(s) URL"},
		{"url without host", m(`{"name": "a", "kind": "ollama", "url": "http://"}`), "machines[0].url", "http(s) URL"},
		{"slots zero", m(`{"name": "a", "kind": "ollama", "url": "http://h:1", "slots": 0}`), "machines[0].slots", "want 1 to 64"},
		{"slots negative", m(`{"name": "a", "kind": "ollama", "url": "http://h:1", "slots": -2}`), "machines[0].slots", "want 1 to 64"},
		{"slots a string", m(`{"name": "a", "kind": "ollama", "url": "http://h:1", "slots": "2"}`), "machines[0].slots", "wrong type: JSON string, want int"},
		{"swarmui without comfyui", m(`{"name": "a", "kind": "swarmui", "url": "http://h:1"}`), "machines[0].comfyui_url", "missing"},
		{"comfyui_url on ollama", m(`{"name": "a", "kind": "ollama", "url": "http://h:1", "comfyui_url": "http://h:2"}`), "machines[0].comfyui_url", "only a swarmui"},
		{"start command on llm", m(`{"name": "a", "kind": "ollama", "url": "http://h:1", "start_command": "x"}`), "machines[0].start_command", "only image machines"},
		{"api key env on ollama", m(`{"name": "a", "kind": "ollama", "url": "http://h:1", "api_key_env": "K"}`), "machines[0].api_key_env", "only openai"},
		{"api key itself", m(`{"name": "a", "kind": "openai", "url": "http://h:1", "api_key_env": "sk-123"}`), "machines[0].api_key_env", "environment variable"},
		{"empty model", m(`{"name": "a", "kind": "ollama", "url": "http://h:1", "models": [""]}`), "machines[0].models[0]", "empty"},
		{"model twice", m(`{"name": "a", "kind": "ollama", "url": "http://h:1", "models": ["x", "x"]}`), "machines[0].models[1]", "twice"},
		{"second machine bad", m(ok + `, {"name": "b", "kind": "ollama", "url": "nope"}`), "machines[1].url", "http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, probs := Parse("conf/backends.json", []byte(tt.file))
			if f != nil {
				t.Fatalf("accepted: %+v", f)
			}
			for _, p := range probs {
				if p.File == "conf/backends.json" && p.Field == tt.field && strings.Contains(p.Message, tt.msg) && !p.Warning {
					return
				}
			}
			t.Fatalf("no error at %q containing %q; got %v", tt.field, tt.msg, probs)
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	if f, probs := Load(dir); f != nil || probs != nil {
		t.Fatalf("no file: %v %v", f, probs)
	}
	if f, probs := Load(""); f != nil || probs != nil {
		t.Fatalf("no dir: %v %v", f, probs)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(goodFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if f, probs := Load(dir); f == nil || probs != nil {
		t.Fatalf("good file: %v %v", f, probs)
	}
}
