package comfysim

import (
	"bytes"
	"fmt"
	"image"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

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
