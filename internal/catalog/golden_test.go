package catalog

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/catalog.golden.json")

// TestGoldenSummaries compares the API summaries of all built-ins (what
// GET /api/configs serves) with testdata/catalog.golden.json.
func TestGoldenSummaries(t *testing.T) {
	c := loadBuiltin(t)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c.Summaries("")); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", "catalog.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("summaries differ from %s (run go test -update and review the diff):\n%s", path, got)
	}
	var decoded []map[string]any
	if err := json.Unmarshal(want, &decoded); err != nil {
		t.Fatal(err)
	}
	keys := []string{"id", "kind", "name", "description", "category", "icon", "color", "order", "media", "min_age", "loras"}
	for _, entry := range decoded {
		if len(entry) != len(keys) {
			t.Errorf("%v: %d keys, want %d", entry["id"], len(entry), len(keys))
		}
		for _, k := range keys {
			if _, ok := entry[k]; !ok {
				t.Errorf("%v lacks %q", entry["id"], k)
			}
		}
		name, _ := entry["name"].(map[string]any)
		if name["de"] == nil || name["en"] == nil {
			t.Errorf("%v: name is not {de, en}: %v", entry["id"], entry["name"])
		}
	}
}
