package graph

import (
	"encoding/json"
	"log/slog"
	"strings"
)

// Injected reports one LoRA of an injection: the LoraLoader node that now holds
// it, and whether that node already existed and only got new strengths.
// ClipStrength is 0 for LoraLoaderModelOnly nodes.
type Injected struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	Strength     float64 `json:"strength"`
	ClipStrength float64 `json:"clip_strength"`
	Updated      bool    `json:"updated,omitempty"`
}

// InjectLoRAs adds one LoraLoader per LoRA between the model loader and its
// readers, as docs/generation.md ("LoRA injection") says:
//
//   - The model source is [Graph.ModelSource](target). The CLIP source is a
//     checkpoint's CLIP output or, for a UNETLoader, the CLIP loader feeding the
//     same samplers; without one the chain uses LoraLoaderModelOnly nodes.
//   - If LoRA loaders already hang off the source as a chain (each reading the
//     previous one's MODEL and CLIP), new nodes go at the end of that chain.
//     A LoRA already on the chain (same lora_name) is not added again: its
//     strengths are updated (if the chain holds it twice, the node nearer the
//     end). Within loras, a later repeat updates the earlier one.
//   - Every input that read the old chain end (the source itself when there was
//     no chain) now reads the new end. Nothing else changes.
//   - New nodes get ids that collide with none (after the largest numeric id, or
//     "lora_N") and the title "LoRA: NAME".
//
// All LoRAs are checked first; on any error the graph is unchanged. The result
// has one entry per LoRA, in order. Each added or updated node is logged at
// info level to log (nil discards).
func (g *Graph) InjectLoRAs(target string, loras []LoRA, log *slog.Logger) ([]Injected, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for _, l := range loras {
		if err := l.Check(); err != nil {
			return nil, err
		}
	}
	if len(loras) == 0 {
		return nil, nil
	}
	src, err := g.loraSource(target)
	if err != nil {
		return nil, err
	}

	// Walk the existing chain from the source.
	loaderClass := classLoRA
	if src.noClip {
		loaderClass = classLoRAModelOnly
	}
	modelEnd, clipEnd := src.model, src.clip
	onChain := map[string]bool{src.loader: true}
	byName := map[string]string{} // normalised lora_name → node id
	for {
		next := g.chainNext(loaderClass, modelEnd, clipEnd, src.noClip, onChain)
		if next == "" {
			break
		}
		onChain[next] = true
		if name, ok := g.stringInput(next, "lora_name"); ok {
			byName[normName(name)] = next
		}
		modelEnd, clipEnd = Link{next, 0}, Link{next, 1}
	}

	// Remember who reads the chain's end before it moves.
	modelReaders := g.readersOf(modelEnd)
	var clipReaders []inputRef
	if !src.noClip {
		clipReaders = g.readersOf(clipEnd)
	}

	ids := newIDAllocator(g)
	out := make([]Injected, 0, len(loras))
	for _, l := range loras {
		inj := Injected{Name: l.Name, Strength: l.Strength, ClipStrength: l.ClipStrength}
		if src.noClip {
			inj.ClipStrength = 0
		}
		if id, ok := byName[normName(l.Name)]; ok {
			n := g.nodes[id]
			n.inputs.set("strength_model", floatJSON(l.Strength))
			if !src.noClip {
				n.inputs.set("strength_clip", floatJSON(l.ClipStrength))
			}
			inj.ID, inj.Updated = id, true
			log.Info("graph: updated lora strengths", "id", id, "class", n.class, "lora", l.Name, "strength_model", inj.Strength, "strength_clip", inj.ClipStrength)
			out = append(out, inj)
			continue
		}
		id := ids.next()
		g.nodes[id] = newLoRANode(loaderClass, l, modelEnd, clipEnd, src.noClip)
		byName[normName(l.Name)] = id
		modelEnd, clipEnd = Link{id, 0}, Link{id, 1}
		inj.ID = id
		log.Info("graph: injected lora", "id", id, "class", loaderClass, "lora", l.Name, "strength_model", inj.Strength, "strength_clip", inj.ClipStrength)
		out = append(out, inj)
	}

	for _, r := range modelReaders {
		if !onChain[r.node] {
			g.nodes[r.node].inputs.set(r.field, mustLink(modelEnd))
		}
	}
	for _, r := range clipReaders {
		if !onChain[r.node] {
			g.nodes[r.node].inputs.set(r.field, mustLink(clipEnd))
		}
	}
	return out, nil
}

// chainNext returns the one LoRA loader of class that reads (model, clip) and
// is not on the chain yet, or "" if there is none or several (a fork ends the
// chain; the forks count as readers of its end).
func (g *Graph) chainNext(class string, model, clip Link, noClip bool, onChain map[string]bool) string {
	found := ""
	for _, r := range g.readersOf(model) {
		if r.field != "model" || onChain[r.node] || g.nodes[r.node].class != class {
			continue
		}
		if !noClip {
			if l, ok := g.LinkOf(r.node, "clip"); !ok || l != clip {
				continue
			}
		}
		if found != "" {
			return ""
		}
		found = r.node
	}
	return found
}

func (g *Graph) stringInput(id, field string) (string, bool) {
	raw, ok := g.RawInput(id, field)
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// normName compares LoRA names with either path separator.
func normName(name string) string { return strings.ReplaceAll(name, `\`, "/") }

func newLoRANode(class string, l LoRA, model, clip Link, noClip bool) *node {
	in := newObject()
	in.set("model", mustLink(model))
	if !noClip {
		in.set("clip", mustLink(clip))
	}
	in.set("lora_name", quote(l.Name))
	in.set("strength_model", floatJSON(l.Strength))
	if !noClip {
		in.set("strength_clip", floatJSON(l.ClipStrength))
	}
	fields := newObject()
	fields.set("inputs", nil)
	fields.set("class_type", quote(class))
	var meta []byte
	meta = append(meta, `{"title":`...)
	meta = append(meta, quote("LoRA: "+l.Name)...)
	meta = append(meta, '}')
	fields.set("_meta", meta)
	return &node{class: class, fields: fields, inputs: in}
}

// floatJSON encodes a strength that has passed CheckStrength.
func floatJSON(f float64) json.RawMessage {
	b, _ := json.Marshal(f) // finite by CheckStrength
	return b
}

func mustLink(l Link) json.RawMessage {
	b, _ := l.MarshalJSON() // never fails
	return b
}
