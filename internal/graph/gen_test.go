// Random graph generator for the property test.

package graph

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// genNode is a node of a generated graph, before ids are assigned.
type genNode struct {
	class  string
	title  string
	inputs [][2]any // name, value: a genRef for a link or a raw JSON literal string
	extra  bool     // add an unknown top-level field
}

// genRef links to output slot of generated node index node.
type genRef struct{ node, slot int }

type genGraph struct {
	r         *rand.Rand
	nodes     []genNode
	source    int
	clipSrc   genRef // valid when hasClip
	hasClip   bool
	chain     []int // existing LoRA loaders, in order
	loraClass string
}

func (gg *genGraph) add(n genNode) int {
	gg.nodes = append(gg.nodes, n)
	return len(gg.nodes) - 1
}

var literalPool = []func(r *rand.Rand) string{
	func(r *rand.Rand) string { return strconv.FormatUint(r.Uint64(), 10) },
	func(r *rand.Rand) string { return strconv.Itoa(r.IntN(2048)) },
	func(r *rand.Rand) string { return "1.50" },
	func(r *rand.Rand) string { return "-0.0e+0" },
	func(r *rand.Rand) string { return strconv.FormatFloat(r.Float64()*10, 'g', -1, 64) },
	func(r *rand.Rand) string { return `"text <&> \u00fc ` + strconv.Itoa(r.IntN(100)) + `"` },
	func(r *rand.Rand) string { return `true` },
	func(r *rand.Rand) string { return `null` },
	func(r *rand.Rand) string { return `{"nested":[1,"2",{"x":null}]}` },
}

func (gg *genGraph) literal() string { return literalPool[gg.r.IntN(len(literalPool))](gg.r) }

// build makes a random graph with one model loader that reaches a sampler,
// optionally an existing LoRA chain, and random extra nodes.
func build(r *rand.Rand, names []string) *genGraph {
	gg := &genGraph{r: r, loraClass: classLoRA}
	mode := r.IntN(3) // 0 checkpoint, 1 UNET + CLIP loader, 2 UNET only
	var vae genRef
	var textClip genRef
	switch mode {
	case 0:
		gg.source = gg.add(genNode{class: classCheckpoint, inputs: [][2]any{{"ckpt_name", `"m.safetensors"`}}})
		gg.clipSrc, gg.hasClip = genRef{gg.source, 1}, true
		vae = genRef{gg.source, 2}
	case 1:
		gg.source = gg.add(genNode{class: classUNET, inputs: [][2]any{{"unet_name", `"u.safetensors"`}, {"weight_dtype", `"default"`}}})
		c := gg.add(genNode{class: []string{"CLIPLoader", "DualCLIPLoader", "TripleCLIPLoader"}[r.IntN(3)], inputs: [][2]any{{"clip_name", `"c.safetensors"`}}})
		gg.clipSrc, gg.hasClip = genRef{c, 0}, true
		vae = genRef{gg.add(genNode{class: "VAELoader", inputs: [][2]any{{"vae_name", `"ae.safetensors"`}}}), 0}
	case 2:
		gg.source = gg.add(genNode{class: classUNET, inputs: [][2]any{{"unet_name", `"u.safetensors"`}}})
		d := gg.add(genNode{class: classCheckpoint, title: "decoy", inputs: [][2]any{{"ckpt_name", `"d.safetensors"`}}})
		textClip, vae = genRef{d, 1}, genRef{d, 2}
		gg.loraClass = classLoRAModelOnly
	}
	model, clip := genRef{gg.source, 0}, gg.clipSrc
	for _, ni := range r.Perm(len(names))[:r.IntN(4)] { // distinct names
		in := [][2]any{{"model", model}}
		if gg.hasClip {
			in = append(in, [2]any{"clip", clip})
		}
		in = append(in, [2]any{"lora_name", strconv.Quote(names[ni])}, [2]any{"strength_model", "0.25"})
		if gg.hasClip {
			in = append(in, [2]any{"strength_clip", "0.5"})
		}
		id := gg.add(genNode{class: gg.loraClass, title: "old", inputs: in})
		gg.chain = append(gg.chain, id)
		model, clip = genRef{id, 0}, genRef{id, 1}
	}
	if gg.hasClip {
		textClip = clip
	}
	for range r.IntN(3) {
		class := []string{"ModelSamplingSD3", "ModelSamplingFlux", "ModelSamplingDiscrete", "CustomModelPatch"}[r.IntN(4)]
		model = genRef{gg.add(genNode{class: class, inputs: [][2]any{{"shift", gg.literal()}, {"model", model}}}), 0}
	}
	if r.IntN(2) == 0 {
		textClip = genRef{gg.add(genNode{class: "CLIPSetLastLayer", inputs: [][2]any{{"stop_at_clip_layer", "-2"}, {"clip", textClip}}}), 0}
	}
	pos := gg.add(genNode{class: "CLIPTextEncode", title: "Positive", inputs: [][2]any{{"text", gg.literal()}, {"clip", textClip}}})
	neg := gg.add(genNode{class: "CLIPTextEncode", inputs: [][2]any{{"clip", textClip}, {"text", `""`}}})
	latent := genRef{gg.add(genNode{class: "EmptyLatentImage", inputs: [][2]any{{"width", "1024"}, {"height", "1024"}}}), 0}
	if r.IntN(3) == 0 {
		img := gg.add(genNode{class: "LoadImage", inputs: [][2]any{{"image", `"in.png"`}}})
		latent = genRef{gg.add(genNode{class: "VAEEncode", inputs: [][2]any{{"pixels", genRef{img, 0}}, {"vae", vae}}}), 0}
	}
	var sampled genRef
	if r.IntN(2) == 0 {
		sampled = genRef{gg.add(genNode{class: []string{"KSampler", "KSamplerAdvanced"}[r.IntN(2)], extra: r.IntN(4) == 0, inputs: [][2]any{
			{"seed", gg.literal()}, {"model", model}, {"positive", genRef{pos, 0}}, {"negative", genRef{neg, 0}}, {"latent_image", latent}}}), 0}
	} else {
		fg := gg.add(genNode{class: "FluxGuidance", inputs: [][2]any{{"guidance", "3.5"}, {"conditioning", genRef{pos, 0}}}})
		guider := gg.add(genNode{class: "BasicGuider", inputs: [][2]any{{"model", model}, {"conditioning", genRef{fg, 0}}}})
		noise := gg.add(genNode{class: "RandomNoise", inputs: [][2]any{{"noise_seed", gg.literal()}}})
		ks := gg.add(genNode{class: "KSamplerSelect", inputs: [][2]any{{"sampler_name", `"euler"`}}})
		sched := gg.add(genNode{class: "BasicScheduler", inputs: [][2]any{{"model", model}, {"steps", "20"}}})
		sampled = genRef{gg.add(genNode{class: "SamplerCustomAdvanced", inputs: [][2]any{{"noise", genRef{noise, 0}},
			{"guider", genRef{guider, 0}}, {"sampler", genRef{ks, 0}}, {"sigmas", genRef{sched, 0}}, {"latent_image", latent}}}), r.IntN(2)}
	}
	dec := gg.add(genNode{class: "VAEDecode", inputs: [][2]any{{"samples", sampled}, {"vae", vae}}})
	gg.add(genNode{class: "SaveImage", inputs: [][2]any{{"images", genRef{dec, 0}}, {"filename_prefix", `"x"`}}})

	// Extra nodes read random earlier outputs but feed no sampler.
	for range r.IntN(6) {
		class := []string{"ImageScale", "PreviewImage", "CustomThing", "ConditioningZeroOut", "VAEDecode"}[r.IntN(5)]
		n := genNode{class: class, title: "extra", extra: r.IntN(3) == 0}
		for j := range 1 + r.IntN(4) {
			name := fmt.Sprintf("in%d", j)
			if j == 0 && r.IntN(2) == 0 {
				name = "model"
			}
			if ref, ok := gg.randomRef(); ok && r.IntN(3) > 0 {
				n.inputs = append(n.inputs, [2]any{name, ref})
			} else {
				n.inputs = append(n.inputs, [2]any{name, gg.literal()})
			}
		}
		gg.add(n)
	}
	return gg
}

func (gg *genGraph) randomRef() (genRef, bool) {
	for range 10 {
		i := gg.r.IntN(len(gg.nodes))
		outs, known := outputTypes[gg.nodes[i].class]
		switch {
		case !known:
			return genRef{i, gg.r.IntN(3)}, true
		case len(outs) > 0:
			return genRef{i, gg.r.IntN(len(outs))}, true
		}
	}
	return genRef{}, false
}

// encode assigns ids (numeric, or strings including a "lora_1" trap) and writes
// the nodes in random order.
func (gg *genGraph) encode() ([]byte, []string) {
	r := gg.r
	ids := make([]string, len(gg.nodes))
	stringIDs := r.IntN(3) == 0
	for i, n := range r.Perm(len(gg.nodes)) {
		if stringIDs {
			ids[i] = fmt.Sprintf("n%d_%c", n, 'a'+rune(r.IntN(26)))
		} else {
			ids[i] = strconv.Itoa(n*r.IntN(3) + n + 1)
		}
	}
	if stringIDs && len(ids) > 3 {
		ids[len(ids)-1] = "lora_1"
	}
	if !stringIDs { // make numeric ids unique
		seen := map[string]bool{}
		for i := range ids {
			for seen[ids[i]] {
				n, _ := strconv.Atoi(ids[i])
				ids[i] = strconv.Itoa(n + 1000)
			}
			seen[ids[i]] = true
		}
	}
	var buf bytes.Buffer
	buf.WriteString("{\n")
	for k, i := range r.Perm(len(gg.nodes)) {
		n := gg.nodes[i]
		if k > 0 {
			buf.WriteString(",\n")
		}
		fmt.Fprintf(&buf, "%q: {\"inputs\": {", ids[i])
		for j, in := range n.inputs {
			if j > 0 {
				buf.WriteString(", ")
			}
			fmt.Fprintf(&buf, "%q: ", in[0])
			switch v := in[1].(type) {
			case genRef:
				fmt.Fprintf(&buf, "[%q, %d]", ids[v.node], v.slot)
			case string:
				buf.WriteString(v)
			}
		}
		fmt.Fprintf(&buf, "}, \"class_type\": %q", n.class)
		if n.title != "" {
			fmt.Fprintf(&buf, ", \"_meta\": {\"title\": %q}", n.title)
		}
		if n.extra {
			buf.WriteString(`, "unknown": {"keep": [1.0, "me"]}`)
		}
		buf.WriteString("}")
	}
	buf.WriteString("\n}\n")
	return buf.Bytes(), ids
}
