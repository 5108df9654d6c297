package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigsCheck(t *testing.T) {
	noEnv := func(string) string { return "" }
	var out, errOut bytes.Buffer
	if code := runConfigs([]string{"check"}, &out, &errOut, noEnv); code != 0 {
		t.Fatalf("built-in configs: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "0 errors") {
		t.Fatalf("output %q", out.String())
	}

	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "interception"), 0o755)
	os.WriteFile(filepath.Join(dir, "interception", "broken.json"), []byte(`{
  "name": {"de": "Kaputt", "en": "Broken"},
  "description": {"de": "d", "en": "d"},
  "category": {"de": "c", "en": "c"},
  "context": "Rewrite it.",
  "parameters": {"temperature": 5},
  "display": {"icon": "lightbulb", "color": "#123456", "order": 1},
  "audience": {"min_age": 8}
}`), 0o644)
	out.Reset()
	if code := runConfigs([]string{"check", dir}, &out, &errOut, noEnv); code != 1 {
		t.Fatalf("broken override: exit %d\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "broken.json") || !strings.Contains(out.String(), "temperature") {
		t.Fatalf("problem does not name file and field:\n%s", out.String())
	}
	// A backends file with an error is reported with file and field.
	os.Remove(filepath.Join(dir, "interception", "broken.json"))
	os.WriteFile(filepath.Join(dir, "backends.json"), []byte(`{"machines": [
  {"name": "gpu-1", "kind": "ollama", "url": "http://127.0.0.1:11434"},
  {"name": "gpu-2", "kind": "ollama", "url": "http://127.0.0.1:11435", "slots": 0}
]}`), 0o644)
	out.Reset()
	if code := runConfigs([]string{"check", dir}, &out, &errOut, noEnv); code != 1 {
		t.Fatalf("broken backends file: exit %d\n%s", code, out.String())
	}
	if want := filepath.Join(dir, "backends.json") + ": machines[1].slots: 0: want 1 to 64"; !strings.Contains(out.String(), want) {
		t.Fatalf("output lacks %q:\n%s", want, out.String())
	}
	if code := runConfigs([]string{"nonsense"}, &out, &errOut, noEnv); code != 2 {
		t.Fatalf("usage error: exit %d", code)
	}
}
