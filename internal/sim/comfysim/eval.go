package comfysim

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
)

// Values flowing along links while a prompt executes.
type (
	modelVal struct{ loras []string }
	clipVal  struct{ loras []string }
	vaeVal   struct{}
	condVal  struct{ text string }
	genSpec  struct {
		prompt string
		seed   uint64
		loras  []string
	}
	latentVal struct {
		w, h   int
		gen    *genSpec
		inputs [][]byte
	}
	imageVal  latentVal
	guiderVal struct {
		model modelVal
		cond  condVal
	}
	noiseVal   struct{ seed uint64 }
	samplerVal struct{}
	sigmasVal  struct{ steps int }
	maskVal    struct{}
)

// evaluator computes node outputs in execution order.
type evaluator struct {
	s      *Server
	j      *job
	values map[string][]any
}

func newEvaluator(s *Server, j *job) *evaluator {
	return &evaluator{s: s, j: j, values: map[string][]any{}}
}

// in returns input x of node n: the linked value or the converted literal.
func (e *evaluator) in(n *gnode, x string) any {
	if l, ok := linkOf(n.inputs[x]); ok && len(l) == 2 {
		id, _ := linkTarget(l)
		slot, _ := strconv.Atoi(fmt.Sprint(l[1]))
		vals := e.values[id]
		if slot < 0 {
			slot += len(vals)
		}
		if slot >= 0 && slot < len(vals) {
			return vals[slot]
		}
		return nil
	}
	if v, ok := n.vals[x]; ok {
		return v
	}
	if spec := e.s.nodes[n.classType].input(x); spec != nil {
		return spec.def
	}
	return nil
}

func input[T any](e *evaluator, n *gnode, x string) (T, error) {
	v, ok := e.in(n, x).(T)
	if !ok {
		var zero T
		return zero, &execError{typ: "AttributeError", msg: fmt.Sprintf("input %q of %s has the wrong kind of value", x, n.classType)}
	}
	return v, nil
}

func (e *evaluator) intIn(n *gnode, x string) int64 {
	switch v := e.in(n, x).(type) {
	case *big.Int:
		return v.Int64()
	case int64:
		return v
	}
	return 0
}

func (e *evaluator) seedIn(n *gnode, x string) uint64 {
	if v, ok := e.in(n, x).(*big.Int); ok {
		return v.Uint64()
	}
	return 0
}

func (e *evaluator) strIn(n *gnode, x string) string {
	s, _ := e.in(n, x).(string)
	return s
}

// run executes node id; ui is its UI output (images) for output nodes.
func (e *evaluator) run(id string) (ui map[string]any, err error) {
	n := e.j.g.nodes[id]
	var out []any
	switch n.classType {
	case "CheckpointLoaderSimple":
		if err := e.s.wait(e.j, e.s.UseCheckpoint(e.strIn(n, "ckpt_name"))); err != nil {
			return nil, err
		}
		out = []any{modelVal{}, clipVal{}, vaeVal{}}
	case "UNETLoader":
		if err := e.s.wait(e.j, e.s.UseCheckpoint(e.strIn(n, "unet_name"))); err != nil {
			return nil, err
		}
		out = []any{modelVal{}}
	case "CLIPLoader", "DualCLIPLoader", "TripleCLIPLoader":
		out = []any{clipVal{}}
	case "VAELoader":
		out = []any{vaeVal{}}
	case "LoraLoader", "LoraLoaderModelOnly":
		m, err := input[modelVal](e, n, "model")
		if err != nil {
			return nil, err
		}
		name := e.strIn(n, "lora_name")
		out = []any{modelVal{loras: append(slices.Clone(m.loras), name)}}
		if n.classType == "LoraLoader" {
			c, err := input[clipVal](e, n, "clip")
			if err != nil {
				return nil, err
			}
			out = append(out, clipVal{loras: append(slices.Clone(c.loras), name)})
		}
	case "ModelSamplingSD3", "ModelSamplingFlux":
		m, err := input[modelVal](e, n, "model")
		if err != nil {
			return nil, err
		}
		out = []any{m}
	case "CLIPSetLastLayer":
		c, err := input[clipVal](e, n, "clip")
		if err != nil {
			return nil, err
		}
		out = []any{c}
	case "CLIPTextEncode":
		if _, err := input[clipVal](e, n, "clip"); err != nil {
			return nil, err
		}
		out = []any{condVal{text: e.strIn(n, "text")}}
	case "ConditioningZeroOut":
		if _, err := input[condVal](e, n, "conditioning"); err != nil {
			return nil, err
		}
		out = []any{condVal{}}
	case "FluxGuidance":
		c, err := input[condVal](e, n, "conditioning")
		if err != nil {
			return nil, err
		}
		out = []any{c}
	case "EmptyLatentImage", "EmptySD3LatentImage":
		out = []any{latentVal{w: int(e.intIn(n, "width")), h: int(e.intIn(n, "height"))}}
	case "KSampler", "KSamplerAdvanced", "SamplerCustomAdvanced":
		l, err := e.sample(id, n)
		if err != nil {
			return nil, err
		}
		out = []any{l, l}
	case "BasicGuider", "CFGGuider":
		m, err := input[modelVal](e, n, "model")
		if err != nil {
			return nil, err
		}
		x := "conditioning"
		if n.classType == "CFGGuider" {
			x = "positive"
		}
		c, err := input[condVal](e, n, x)
		if err != nil {
			return nil, err
		}
		out = []any{guiderVal{model: m, cond: c}}
	case "RandomNoise":
		out = []any{noiseVal{seed: e.seedIn(n, "noise_seed")}}
	case "KSamplerSelect":
		out = []any{samplerVal{}}
	case "BasicScheduler":
		out = []any{sigmasVal{steps: int(e.intIn(n, "steps"))}}
	case "VAEEncode":
		if _, err := input[vaeVal](e, n, "vae"); err != nil {
			return nil, err
		}
		img, err := input[imageVal](e, n, "pixels")
		if err != nil {
			return nil, err
		}
		data, err := materialize(img)
		if err != nil {
			return nil, err
		}
		out = []any{latentVal{w: img.w, h: img.h, inputs: [][]byte{data}}}
	case "VAEDecode":
		if _, err := input[vaeVal](e, n, "vae"); err != nil {
			return nil, err
		}
		l, err := input[latentVal](e, n, "samples")
		if err != nil {
			return nil, err
		}
		out = []any{imageVal(l)}
	case "LoadImage":
		img, err := e.loadImage(n)
		if err != nil {
			return nil, err
		}
		out = []any{img, maskVal{}}
	case "ImageScale":
		img, err := input[imageVal](e, n, "image")
		if err != nil {
			return nil, err
		}
		w, h := int(e.intIn(n, "width")), int(e.intIn(n, "height"))
		switch {
		case w == 0 && h == 0:
			w, h = img.w, img.h
		case w == 0:
			w = max(1, img.w*h/img.h)
		case h == 0:
			h = max(1, img.h*w/img.w)
		}
		img.w, img.h = w, h
		out = []any{img}
	case "ImageBlend":
		a, err := input[imageVal](e, n, "image1")
		if err != nil {
			return nil, err
		}
		b, err := input[imageVal](e, n, "image2")
		if err != nil {
			return nil, err
		}
		da, err := materialize(a)
		if err != nil {
			return nil, err
		}
		db, err := materialize(b)
		if err != nil {
			return nil, err
		}
		out = []any{imageVal{w: a.w, h: a.h, inputs: [][]byte{da, db}}}
	case "SaveImage", "PreviewImage":
		return e.save(n)
	default:
		return nil, &execError{typ: "NotImplementedError", msg: "comfysim cannot execute " + n.classType}
	}
	e.values[id] = out
	return nil, nil
}
