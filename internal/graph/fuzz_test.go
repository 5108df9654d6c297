package graph

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseInject feeds arbitrary bytes through Parse, Validate, MarshalJSON and
// InjectLoRAs. None may panic; a written graph must parse back to itself; a
// failed injection must leave the graph alone; a valid graph stays valid.
func FuzzParseInject(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "", "x.safetensors:0.8;styles/watercolor.safetensors:1:0.5")
		f.Add(data, "4", "a.safetensors:1;a.safetensors:0.5")
	}
	f.Add([]byte(sdGraph), "Refiner", "../x.safetensors:1")
	f.Add([]byte(`{"1":{"class_type":"LoraLoader","inputs":{"model":["1",0],"clip":["1",1]}}}`), "1", "q.pt:1")
	f.Fuzz(func(t *testing.T, data []byte, target, specs string) {
		g, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		valid := g.Validate() == nil
		out1, _ := g.MarshalJSON()
		g2, err := Parse(out1)
		if err != nil {
			t.Fatalf("written graph does not parse: %v\n%s", err, out1)
		}
		if out2, _ := g2.MarshalJSON(); !bytes.Equal(out1, out2) {
			t.Fatalf("round trip changed the graph:\n%s\n%s", out1, out2)
		}

		var loras []LoRA
		for _, s := range strings.Split(specs, ";") {
			l, err := ParseLoRASpec(s)
			if err != nil {
				l = LoRA{Name: s, Strength: 1, ClipStrength: 1} // let InjectLoRAs check it
			}
			loras = append(loras, l)
		}
		injected, err := g.InjectLoRAs(target, loras, nil)
		after, _ := g.MarshalJSON()
		if err != nil {
			if !bytes.Equal(out1, after) {
				t.Fatalf("failed injection (%v) changed the graph", err)
			}
			return
		}
		if len(injected) != len(loras) {
			t.Fatalf("%d results for %d loras", len(injected), len(loras))
		}
		if _, err := Parse(after); err != nil {
			t.Fatalf("injected graph does not parse: %v", err)
		}
		if valid {
			if err := g.Validate(); err != nil {
				t.Fatalf("injection broke a valid graph: %v\nbefore %s\nafter  %s", err, out1, after)
			}
		}
	})
}
