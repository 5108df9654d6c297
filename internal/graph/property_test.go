package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestInjectProperty injects random LoRA lists into random valid graphs (fixed
// seeds) and checks that the result is valid, that every former reader of the
// chain end now reads through the whole chain back to the source, and that
// nothing else changed.
func TestInjectProperty(t *testing.T) {
	names := []string{"a.safetensors", "style/b.safetensors", "c.pt", "d.ckpt", "e.safetensors"}
	for seed := range 400 {
		r := rand.New(rand.NewPCG(uint64(seed), 2024))
		gg := build(r, names)
		data, ids := gg.encode()
		var loras []LoRA
		for range 1 + r.IntN(4) {
			s := float64(r.IntN(401)-200) / 100
			loras = append(loras, LoRA{Name: names[r.IntN(len(names))], Strength: s, ClipStrength: s / 2})
		}
		if err := checkInjection(t, gg, data, ids, loras); err != nil {
			t.Fatalf("seed %d: %v\nloras %+v\ngraph %s", seed, err, loras, data)
		}
	}
}

func checkInjection(t *testing.T, gg *genGraph, data []byte, ids []string, loras []LoRA) error {
	g, err := Parse(data)
	if err != nil {
		return err
	}
	if err := g.Validate(); err != nil {
		return fmt.Errorf("generated graph invalid: %v", err)
	}
	orig := g.Clone()
	src := ids[gg.source]
	srcModel := Link{src, 0}
	var srcClip Link
	if gg.hasClip {
		srcClip = Link{ids[gg.clipSrc.node], gg.clipSrc.slot}
	}
	endModel, endClip := srcModel, srcClip
	var wantNames []string
	strengths := map[string][2]string{}
	for _, i := range gg.chain {
		endModel, endClip = Link{ids[i], 0}, Link{ids[i], 1}
		name, _ := g.stringInput(ids[i], "lora_name")
		wantNames = append(wantNames, name)
		strengths[ids[i]] = [2]string{"0.25", "0.5"}
	}
	// Former readers of the chain end (the source when there is no chain).
	type reader struct {
		id, field string
		clip      bool
	}
	var readers []reader
	for _, id := range g.IDs() {
		for _, f := range g.InputNames(id) {
			l, isLink := g.LinkOf(id, f)
			if !isLink {
				continue
			}
			switch {
			case l == endModel:
				readers = append(readers, reader{id, f, false})
			case gg.hasClip && l == endClip:
				readers = append(readers, reader{id, f, true})
			}
		}
	}
	existing := len(wantNames)
	byName := map[string]int{}
	for i, n := range wantNames {
		byName[n] = i
	}
	lastSpec := map[string]LoRA{}
	for _, l := range loras {
		if _, ok := byName[l.Name]; !ok {
			byName[l.Name] = len(wantNames)
			wantNames = append(wantNames, l.Name)
		}
		lastSpec[l.Name] = l
	}

	injected, err := g.InjectLoRAs("", loras, nil)
	if err != nil {
		return fmt.Errorf("inject: %v", err)
	}
	if len(injected) != len(loras) {
		return fmt.Errorf("%d results for %d loras", len(injected), len(loras))
	}
	if err := g.Validate(); err != nil {
		return fmt.Errorf("after injection: %v", err)
	}
	if got, want := g.Len(), orig.Len()+len(wantNames)-existing; got != want {
		return fmt.Errorf("graph has %d nodes, want %d", got, want)
	}

	// Every former reader now reads through the whole chain, ending at the source.
	chainIDs := map[string]bool{}
	for _, rd := range readers {
		l, ok := g.LinkOf(rd.id, rd.field)
		if !ok {
			return fmt.Errorf("reader %s.%s lost its link", rd.id, rd.field)
		}
		for i := len(wantNames) - 1; i >= 0; i-- {
			class, _ := g.ClassOf(l.Node)
			name, _ := g.stringInput(l.Node, "lora_name")
			wantSlot := 0
			if rd.clip {
				wantSlot = 1
			}
			if class != gg.loraClass || name != wantNames[i] || l.Slot != wantSlot {
				return fmt.Errorf("reader %s.%s: step %d reads %v (%s %q), want %s %q slot %d", rd.id, rd.field, i, l, class, name, gg.loraClass, wantNames[i], wantSlot)
			}
			chainIDs[l.Node] = true
			if spec, ok := lastSpec[name]; ok {
				wantS, _ := json.Marshal(spec.Strength)
				if raw, _ := g.RawInput(l.Node, "strength_model"); !bytes.Equal(raw, wantS) {
					return fmt.Errorf("node %s strength_model %s, want %s", l.Node, raw, wantS)
				}
				if gg.hasClip {
					wantC, _ := json.Marshal(spec.ClipStrength)
					if raw, _ := g.RawInput(l.Node, "strength_clip"); !bytes.Equal(raw, wantC) {
						return fmt.Errorf("node %s strength_clip %s, want %s", l.Node, raw, wantC)
					}
				}
			}
			field := "model"
			if rd.clip {
				field = "clip"
			}
			l, _ = g.LinkOf(l.Node, field)
		}
		want := srcModel
		if rd.clip {
			want = srcClip
		}
		if l != want {
			return fmt.Errorf("reader %s.%s: chain starts at %v, want the source %v", rd.id, rd.field, l, want)
		}
	}

	// Nothing else changed.
	isReader := map[[2]string]bool{}
	for _, rd := range readers {
		isReader[[2]string{rd.id, rd.field}] = true
	}
	for _, id := range orig.IDs() {
		a, b := orig.nodes[id], g.nodes[id]
		if b == nil {
			return fmt.Errorf("node %s vanished", id)
		}
		if !slices.Equal(a.fields.keys, b.fields.keys) || !slices.Equal(a.inputs.keys, b.inputs.keys) {
			return fmt.Errorf("node %s: keys changed", id)
		}
		for _, k := range a.fields.keys {
			if !bytes.Equal(a.fields.vals[k], b.fields.vals[k]) {
				return fmt.Errorf("node %s: field %s changed", id, k)
			}
		}
		for _, k := range a.inputs.keys {
			if isReader[[2]string{id, k}] {
				continue
			}
			name, _ := orig.stringInput(id, "lora_name")
			if _, respecified := lastSpec[name]; respecified && chainIDs[id] && (k == "strength_model" || k == "strength_clip") {
				continue
			}
			if !bytes.Equal(a.inputs.vals[k], b.inputs.vals[k]) {
				return fmt.Errorf("node %s: input %s changed from %s to %s", id, k, a.inputs.vals[k], b.inputs.vals[k])
			}
		}
	}
	// New nodes are LoRA loaders titled after their LoRA.
	for _, id := range g.IDs() {
		if orig.Has(id) {
			continue
		}
		name, _ := g.stringInput(id, "lora_name")
		if class, _ := g.ClassOf(id); class != gg.loraClass || g.Title(id) != "LoRA: "+name || !chainIDs[id] && len(readers) > 0 {
			return fmt.Errorf("new node %s: class %s title %q", id, class, g.Title(id))
		}
	}
	return nil
}
