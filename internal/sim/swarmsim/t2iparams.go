package swarmsim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Sampler and scheduler values the ComfyUI backend offers.
var (
	samplers   = []string{"euler", "euler_ancestral", "heun", "dpm_2", "dpm_2_ancestral", "lms", "dpm_fast", "dpm_adaptive", "dpmpp_2s_ancestral", "dpmpp_sde", "dpmpp_2m", "dpmpp_2m_sde", "dpmpp_3m_sde", "ddim", "uni_pc", "uni_pc_bh2", "lcm"}
	schedulers = []string{"normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform", "beta", "linear_quadratic", "kl_optimal"}
)

// t2iParams is a validated GenerateText2Image request.
type t2iParams struct {
	prompt, negative     string
	requestedModel       string
	model                string
	width, height, steps int
	cfg                  float64
	seed                 int64
	sampler, scheduler   string
	loras                []string
	weights              []float64
	images               int
	doNotSave, noSeedInc bool
	raw                  map[string]string
}

// parseT2I validates a GenerateText2Image body as SwarmUI does. The second
// result is the error message for a 200 {"error"} answer, or "".
func (s *Server) parseT2I(in params) (t2iParams, string) {
	p := t2iParams{width: 512, height: 512, steps: 20, cfg: 7, seed: -1, raw: map[string]string{}}
	images, msg := apiInt(in, "images", 0, true)
	if msg != "" {
		return p, msg
	}
	p.images = images
	for k, v := range in {
		switch k {
		case "session_id", "images", "presets", "extra_metadata":
			continue
		}
		p.raw[cleanTypeName(k)] = v.String()
	}
	var err string
	str := func(id string) string { return p.raw[id] }
	p.prompt, p.negative = str("prompt"), str("negativeprompt")
	if v, ok := p.raw["width"]; ok && err == "" {
		p.width, err = intParam("Width", v, 64, 16384)
	}
	if v, ok := p.raw["height"]; ok && err == "" {
		p.height, err = intParam("Height", v, 64, 16384)
	}
	if v, ok := p.raw["steps"]; ok && err == "" {
		p.steps, err = intParam("Steps", v, 0, 500)
	}
	if v, ok := p.raw["cfgscale"]; ok && err == "" {
		p.cfg, err = decimalParam("CFG Scale", v, 0, 100)
	}
	if v, ok := p.raw["seed"]; ok && err == "" {
		var n int
		n, err = intParam("Seed", v, -1, 1<<62)
		p.seed = int64(n)
	}
	if v, ok := p.raw["sampler"]; ok && err == "" {
		p.sampler, err = dropdownParam("Sampler", v, samplers)
	}
	if v, ok := p.raw["scheduler"]; ok && err == "" {
		p.scheduler, err = dropdownParam("Scheduler", v, schedulers)
	}
	if v, ok := p.raw["donotsave"]; ok && err == "" {
		p.doNotSave, err = boolParam("Do Not Save", v)
	}
	if v, ok := p.raw["noseedincrement"]; ok && err == "" {
		p.noSeedInc, err = boolParam("No Seed Increment", v)
	}
	if err != "" {
		return p, err
	}
	if err := s.parseModels(&p); err != "" {
		return p, err
	}
	return p, ""
}

// parseModels resolves the model and LoRA names and the LoRA weights.
func (s *Server) parseModels(p *t2iParams) string {
	p.requestedModel = p.raw["model"]
	if strings.TrimSpace(p.requestedModel) == "" {
		return "No model input given. Did your UI load properly?"
	}
	m, ok := matchModel(p.requestedModel, s.opts.Models)
	if !ok {
		return fmt.Sprintf("Invalid value for param Model - '%s' - are you sure that model name is correct?", p.requestedModel)
	}
	p.model = m
	raw := p.raw["loras"]
	for _, name := range splitList(raw) {
		l, ok := matchModel(name, s.opts.LoRAs)
		if !ok {
			if len(s.opts.LoRAs) < 10 {
				return fmt.Sprintf("Invalid value for param LoRAs - '%s' - must be one of: `%s`", raw, strings.Join(s.opts.LoRAs, "`, `"))
			}
			return fmt.Sprintf("Invalid value for param LoRAs - '%s' - option does not exist. Has it been deleted?", raw)
		}
		p.loras = append(p.loras, l)
	}
	ws := splitList(p.raw["loraweights"])
	for i := range p.loras {
		w := 1.0
		if i < len(ws) {
			var err string
			if w, err = decimalParam("LoRA Weights", ws[i], -10, 10); err != "" {
				return err
			}
		}
		p.weights = append(p.weights, w)
	}
	return ""
}

// splitList splits a comma-separated list, trimming and dropping empties.
func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func intParam(name, v string, lo, hi int) (int, string) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, fmt.Sprintf("Invalid integer value for param %s - '%s' - must be a valid integer (eg '0', '3', '-5', etc)", name, v)
	}
	if n < int64(lo) || n > int64(hi) {
		return 0, fmt.Sprintf("Invalid integer value for param %s - '%s' - must be between %d and %d", name, v, lo, hi)
	}
	return int(n), ""
}

func decimalParam(name, v string, lo, hi float64) (float64, string) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return 0, fmt.Sprintf("Invalid decimal value for param %s - '%s' - must be a valid decimal (eg '0.0', '3.5', '-5.2', etc)", name, v)
	}
	if f < lo || f > hi {
		return 0, fmt.Sprintf("Invalid decimal value for param %s - '%s' - must be between %g and %g", name, v, lo, hi)
	}
	return f, ""
}

func boolParam(name, v string) (bool, string) {
	switch strings.ToLower(v) {
	case "true":
		return true, ""
	case "false":
		return false, ""
	}
	return false, fmt.Sprintf("Invalid boolean value for param %s - '%s' - must be exactly 'true' or 'false'", name, v)
}

func dropdownParam(name, v string, options []string) (string, string) {
	for _, o := range options {
		if strings.EqualFold(o, v) {
			return o, ""
		}
	}
	return "", fmt.Sprintf("Invalid value for param %s - '%s' - must be one of: `%s`", name, v, strings.Join(slices.Clone(options), "`, `"))
}
