package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// indent renders a graph as the CLI prints it.
func indent(t testing.TB, g *Graph) []byte {
	t.Helper()
	raw, err := g.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		t.Fatalf("indent %s: %v", raw, err)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

func loadGraph(t testing.TB, name string) (*Graph, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := Parse(data)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	if err := g.Validate(); err != nil {
		t.Fatalf("validate %s: %v", name, err)
	}
	return g, data
}

func mustSpecs(t testing.TB, specs ...string) []LoRA {
	t.Helper()
	var out []LoRA
	for _, s := range specs {
		l, err := ParseLoRASpec(s)
		if err != nil {
			t.Fatalf("spec %q: %v", s, err)
		}
		out = append(out, l)
	}
	return out
}

func TestInjectGolden(t *testing.T) {
	cases := []struct {
		name, input, target string
		loras               []string
		wantErr             error
		wantUpdated         []bool
	}{
		{name: "sd35", input: "sd35", loras: []string{"sd35/film_grain.safetensors:0.8", "detail.safetensors:0.5:0.25"}, wantUpdated: []bool{false, false}},
		{name: "sdxl_refiner_ambiguous", input: "sdxl_refiner", loras: []string{"a.safetensors:1"}, wantErr: ErrAmbiguousLoader},
		{name: "sdxl_refiner", input: "sdxl_refiner", target: "4", loras: []string{"sdxl/pixel_art.safetensors:0.9"}, wantUpdated: []bool{false}},
		{name: "sdxl_refiner.refiner", input: "sdxl_refiner", target: "Refiner Checkpoint", loras: []string{"refiner_detail.safetensors:0.4:0"}, wantUpdated: []bool{false}},
		{name: "sdxl_refiner_bad_target", input: "sdxl_refiner", target: "10", loras: []string{"a.safetensors:1"}, wantErr: ErrUnknownTarget},
		{name: "sdxl_refiner_missing_target", input: "sdxl_refiner", target: "99", loras: []string{"a.safetensors:1"}, wantErr: ErrUnknownTarget},
		{name: "flux", input: "flux", loras: []string{"flux/ink_sketch.safetensors:1.0:0.8", "flux/realism.safetensors:0.6"}, wantUpdated: []bool{false, false}},
		{name: "existing_lora", input: "existing_lora", loras: []string{"ink.safetensors:0.5", "styles/watercolor.safetensors:0.9:0.4"}, wantUpdated: []bool{false, true}},
		{name: "existing_lora.update", input: "existing_lora", loras: []string{`styles\watercolor.safetensors:1.2:0.8`}, wantUpdated: []bool{true}},
		{name: "img2img", input: "img2img", loras: []string{"mosaic.pt:0.75"}, wantUpdated: []bool{false}},
		{name: "string_ids", input: "string_ids", loras: []string{"robots.safetensors:1", "gardens.safetensors:0.3", "robots.safetensors:0.5"}, wantUpdated: []bool{false, false, true}},
		{name: "subgraph_ids", input: "subgraph_ids", loras: []string{"castle.safetensors:0.7"}, wantUpdated: []bool{false}},
		{name: "unet_model_only", input: "unet_model_only", loras: []string{"unet_style.safetensors:0.8:0.6"}, wantUpdated: []bool{false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, _ := loadGraph(t, tc.input)
			before := indent(t, g)
			got, err := g.InjectLoRAs(tc.target, mustSpecs(t, tc.loras...), nil)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if after := indent(t, g); !bytes.Equal(before, after) {
					t.Errorf("graph changed on error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := g.Validate(); err != nil {
				t.Errorf("after injection: %v", err)
			}
			var updated []bool
			for _, inj := range got {
				updated = append(updated, inj.Updated)
				if !g.Has(inj.ID) {
					t.Errorf("injected id %q not in graph", inj.ID)
				}
			}
			if !slices.Equal(updated, tc.wantUpdated) {
				t.Errorf("updated = %v, want %v (%+v)", updated, tc.wantUpdated, got)
			}
			compareGolden(t, filepath.Join("testdata", tc.name+".lora.golden.json"), indent(t, g))

			// Injecting the same LoRAs again only updates strengths.
			again, err := g.InjectLoRAs(tc.target, mustSpecs(t, tc.loras...), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, inj := range again {
				if !inj.Updated {
					t.Errorf("second injection added %+v", inj)
				}
			}
			compareGolden(t, filepath.Join("testdata", tc.name+".lora.golden.json"), indent(t, g))
		})
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestRoundTrip checks that parsing and writing changes nothing but whitespace
// for every test graph (they list nodes in natural order).
func TestRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if filepath.Ext(f[:len(f)-len(".json")]) != "" { // skip goldens
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			g, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := g.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, data); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("round trip:\n got %s\nwant %s", got, want.Bytes())
			}
		})
	}
}
