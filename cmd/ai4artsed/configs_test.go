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
	if code := runConfigs([]string{"nonsense"}, &out, &errOut, noEnv); code != 2 {
		t.Fatalf("usage error: exit %d", code)
	}
}
