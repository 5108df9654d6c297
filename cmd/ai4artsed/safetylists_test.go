package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
)

// writeSafetyList writes dir/safety/name.
func writeSafetyList(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "safety"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "safety", name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrokenSafetyListStopsStart: a safety list that fails to load stops
// the server instead of running it with an empty list, and says which file
// and field are wrong; `configs check` reports the same.
func TestBrokenSafetyListStopsStart(t *testing.T) {
	tests := []struct {
		name, file, data string
		want             []string
	}{
		{"empty list", "kids.json", `{"category": "violence", "terms": []}`, []string{"kids.json", "terms", "empty"}},
		{"term without letters", "86a.json", `{"category": "forbidden_symbol", "terms": [{"term": "Hakenkreuz"}, {"term": "--"}]}`, []string{"86a.json", "terms[1].term"}},
		{"wrong type", "youth.json", `{"category": "violence", "terms": [{"term": 5}]}`, []string{"youth.json", "terms.term"}},
		{"bad regex", "personal_data.json", `{"patterns": [{"name": "email", "regex": "("}]}`, []string{"personal_data.json", "patterns[0].regex"}},
		{"invalid JSON", "allow.json", `{"words": [`, []string{"allow.json", "invalid JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeSafetyList(t, dir, tt.file, tt.data)
			s := defaultSettings()
			s.DataDir = t.TempDir()
			s.ConfigDir = dir
			app, err := NewApp(context.Background(), s, newLogger(io.Discard))
			if err == nil {
				app.closeAll()
				t.Fatal("the server started with a broken safety list")
			}
			if !errors.Is(err, catalog.ErrSafetyLists) {
				t.Errorf("err = %v, want ErrSafetyLists", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			var out, errOut bytes.Buffer
			if code := runConfigs([]string{"check", dir}, &out, &errOut, func(string) string { return "" }); code != 1 {
				t.Errorf("configs check: exit %d, want 1\n%s", code, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("configs check output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestSafetyListOverride: a valid override list replaces the built-in one.
func TestSafetyListOverride(t *testing.T) {
	dir := t.TempDir()
	writeSafetyList(t, dir, "kids.json", `{"category": "violence", "terms": [{"term": "Drachenfeuer", "show": true}]}`)
	cat, _, err := catalog.Load(catalog.Builtin(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := cat.Filter().Check("Drachenfeuer über der Burg", "kids"); r.Decision.String() != "judge" {
		t.Errorf("override term: %v %v, want judge", r.Decision, r.Hits)
	}
	if r := cat.Filter().Check("Blut", "kids"); len(r.Hits) != 0 {
		t.Errorf("built-in kids list still used: %v", r.Hits)
	}
}
