package comfysim

import (
	"bytes"
	"fmt"
	"image"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Values flowing along links while a prompt executes.
type (
	modelVal   struct{ loras []string }
	clipVal    struct{ loras []string }
	vaeVal     struct{}
	condVal    struct{ text string }
	genSpec    struct {
		prompt string
		seed   uint64
		loras  []string
	}
	latentVal struct {
		w, h   int
		gen    *genSpec
		inputs [][]byte
	}
	imageVal   latentVal
	guiderVal  struct {
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
		out = []any{modelVal{}, clipVal{}, vaeVal{}}
	case "UNETLoader":
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

// sample runs a sampler node, one progress event per step.
func (e *evaluator) sample(id string, n *gnode) (latentVal, error) {
	l, err := input[latentVal](e, n, "latent_image")
	if err != nil {
		return latentVal{}, err
	}
	var gen genSpec
	var steps int
	switch n.classType {
	case "KSampler", "KSamplerAdvanced":
		m, err := input[modelVal](e, n, "model")
		if err != nil {
			return latentVal{}, err
		}
		pos, err := input[condVal](e, n, "positive")
		if err != nil {
			return latentVal{}, err
		}
		seedName := "seed"
		steps = int(e.intIn(n, "steps"))
		if n.classType == "KSamplerAdvanced" {
			seedName = "noise_seed"
			steps = int(min(e.intIn(n, "end_at_step"), int64(steps)) - e.intIn(n, "start_at_step"))
		}
		gen = genSpec{prompt: pos.text, seed: e.seedIn(n, seedName), loras: m.loras}
	default:
		noise, err := input[noiseVal](e, n, "noise")
		if err != nil {
			return latentVal{}, err
		}
		guider, err := input[guiderVal](e, n, "guider")
		if err != nil {
			return latentVal{}, err
		}
		sig, err := input[sigmasVal](e, n, "sigmas")
		if err != nil {
			return latentVal{}, err
		}
		if _, err := input[samplerVal](e, n, "sampler"); err != nil {
			return latentVal{}, err
		}
		steps = sig.steps
		gen = genSpec{prompt: guider.cond.text, seed: noise.seed, loras: guider.model.loras}
	}
	for i := 1; i <= steps; i++ {
		if err := e.s.wait(e.j, e.s.opts.StepDelay); err != nil {
			return latentVal{}, err
		}
		e.s.emit(e.j, "progress", map[string]any{"value": i, "max": steps, "prompt_id": e.j.id, "node": id}, nil)
	}
	l.gen = &gen
	return l, nil
}

func (e *evaluator) loadImage(n *gnode) (imageVal, error) {
	name, _ := n.inputs["image"].(string)
	data, ok := e.s.lookupAnnotated(name)
	if !ok {
		return imageVal{}, &execError{typ: "FileNotFoundError", msg: "[Errno 2] No such file or directory: " + pyRepr(name)}
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return imageVal{}, &execError{typ: "PIL.UnidentifiedImageError", msg: "cannot identify image file " + pyRepr(name)}
	}
	return imageVal{w: cfg.Width, h: cfg.Height, inputs: [][]byte{data}}, nil
}

// materialize renders an image value to PNG bytes.
func materialize(img imageVal) ([]byte, error) {
	var data []byte
	var err error
	if img.gen != nil {
		data, err = Render(img.gen.prompt, img.gen.seed, img.gen.loras, img.w, img.h, img.inputs)
	} else {
		data, err = Render("", 0, nil, img.w, img.h, img.inputs)
	}
	if err != nil {
		return nil, &execError{typ: "RuntimeError", msg: err.Error()}
	}
	return data, nil
}

// save implements SaveImage and PreviewImage.
func (e *evaluator) save(n *gnode) (map[string]any, error) {
	img, err := input[imageVal](e, n, "images")
	if err != nil {
		return nil, err
	}
	data, err := materialize(img)
	if err != nil {
		return nil, err
	}
	typ, prefix := "output", e.strIn(n, "filename_prefix")
	if n.classType == "PreviewImage" {
		typ = "temp"
		letters := make([]byte, 5)
		for i := range letters {
			letters[i] = byte('a' + rand.IntN(26))
		}
		prefix = "ComfyUI_temp_" + string(letters)
	}
	prefix = expandPrefix(prefix, img.w, img.h, time.Now())
	file, err := e.s.storeOutput(typ, prefix, data)
	if err != nil {
		return nil, &execError{typ: "Exception", msg: err.Error()}
	}
	return map[string]any{"images": []any{file}}, nil
}

// expandPrefix replaces SaveImage's %token% placeholders.
func expandPrefix(p string, w, h int, t time.Time) string {
	r := strings.NewReplacer("%width%", strconv.Itoa(w), "%height%", strconv.Itoa(h),
		"%year%", strconv.Itoa(t.Year()), "%month%", fmt.Sprintf("%02d", int(t.Month())),
		"%day%", fmt.Sprintf("%02d", t.Day()), "%hour%", fmt.Sprintf("%02d", t.Hour()),
		"%minute%", fmt.Sprintf("%02d", t.Minute()), "%second%", fmt.Sprintf("%02d", t.Second()))
	return r.Replace(p)
}
