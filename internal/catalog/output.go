package catalog

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/ai4artsed/ai4artsed/internal/graph"
)

// Backends an output config can name.
const (
	BackendSwarmUI = "swarmui"
	BackendComfyUI = "comfyui"
)

// MediaImage is the only medium outputs produce so far.
const MediaImage = "image"

// MaxUploads is the largest uploads.max an output may declare.
const MaxUploads = 8

// Output is an output config: which backend and model make the media, with
// which parameters, and for workflow mode the graph and its input bindings.
type Output struct {
	ID          string `json:"id"`
	Name        Text   `json:"name"`
	Description Text   `json:"description"`
	Category    Text   `json:"category"`
	// Media is the kind of result; "image" for now.
	Media string `json:"media"`
	// Backend is "swarmui" (text-to-image API, workflow only with LoRAs) or
	// "comfyui" (always the workflow).
	Backend string `json:"backend"`
	// Model is the model name for SwarmUI's text-to-image API.
	Model      string       `json:"model,omitempty"`
	Parameters OutputParams `json:"parameters"`
	// OptimizationInstruction, when set, makes stage 3 rewrite the text for
	// this model with an LLM.
	OptimizationInstruction string `json:"optimization_instruction,omitempty"`
	// Workflow is the file name of the API-format graph in workflows/.
	Workflow string `json:"workflow,omitempty"`
	// Inputs bind names (prompt, negative_prompt, seed, width, height, steps,
	// cfg, sampler, scheduler, image, image_2, ...) to graph inputs; every
	// binding resolves in Graph.
	Inputs map[string]graph.Binding `json:"inputs,omitempty"`
	// OutputNode is the id of the node whose images are the result. The file
	// may name it by id or by title; after loading it always holds the id.
	OutputNode string `json:"output,omitempty"`
	// LoRATarget is the model loader (node id, or unique title) LoRAs are
	// chained onto when the graph has several.
	LoRATarget string `json:"lora_target,omitempty"`
	// Uploads says how many uploaded images a run needs; bound as image,
	// image_2, ... up to Max.
	Uploads Uploads `json:"uploads"`
	Display Display `json:"display"`
	// Graph is the parsed workflow, nil without one. It is shared: Clone it
	// before changing it.
	Graph *graph.Graph `json:"-"`
	// File is where the config was read from ("builtin/output/x.json").
	File string `json:"-"`
}

// OutputParams are the generation parameters of an output config.
type OutputParams struct {
	Width          int     `json:"width"`
	Height         int     `json:"height"`
	Steps          int     `json:"steps"`
	CFG            float64 `json:"cfg"`
	Seed           Seed    `json:"seed"`
	NegativePrompt string  `json:"negative_prompt,omitempty"`
	Sampler        string  `json:"sampler,omitempty"`
	Scheduler      string  `json:"scheduler,omitempty"`
}

// Uploads is the number of uploaded images an output takes.
type Uploads struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// ImageBinding names the binding of the n-th uploaded image (1-based):
// "image", "image_2", "image_3", ...
func ImageBinding(n int) string {
	if n <= 1 {
		return "image"
	}
	return "image_" + strconv.Itoa(n)
}

// outputFile is the file format of an output config.
type outputFile struct {
	Name        Text   `json:"name"`
	Description Text   `json:"description"`
	Category    Text   `json:"category"`
	Media       string `json:"media"`
	Backend     string `json:"backend"`
	Model       string `json:"model"`
	Parameters  struct {
		Width          int     `json:"width"`
		Height         int     `json:"height"`
		Steps          int     `json:"steps"`
		CFG            float64 `json:"cfg"`
		Seed           *Seed   `json:"seed"`
		NegativePrompt string  `json:"negative_prompt"`
		Sampler        string  `json:"sampler"`
		Scheduler      string  `json:"scheduler"`
	} `json:"parameters"`
	OptimizationInstruction string                   `json:"optimization_instruction"`
	Workflow                string                   `json:"workflow"`
	Inputs                  map[string]graph.Binding `json:"inputs"`
	Output                  string                   `json:"output"`
	LoRATarget              string                   `json:"lora_target"`
	Uploads                 Uploads                  `json:"uploads"`
	Display                 Display                  `json:"display"`
}

// decodeOutput reads one output file; nil when it cannot be decoded.
func decodeOutput(ps *problems, id string, data []byte) *Output {
	var f outputFile
	if !decodeFile(ps, data, &f) {
		return nil
	}
	o := &Output{
		ID: id, Name: f.Name, Description: f.Description, Category: f.Category,
		Media: f.Media, Backend: f.Backend, Model: f.Model,
		Parameters: OutputParams{
			Width: f.Parameters.Width, Height: f.Parameters.Height,
			Steps: f.Parameters.Steps, CFG: f.Parameters.CFG,
			Seed:           Seed{Random: true},
			NegativePrompt: f.Parameters.NegativePrompt,
			Sampler:        f.Parameters.Sampler, Scheduler: f.Parameters.Scheduler,
		},
		OptimizationInstruction: f.OptimizationInstruction,
		Workflow:                f.Workflow,
		Inputs:                  f.Inputs,
		OutputNode:              f.Output,
		LoRATarget:              f.LoRATarget,
		Uploads:                 f.Uploads,
		Display:                 f.Display,
		File:                    ps.file,
	}
	if f.Parameters.Seed != nil {
		o.Parameters.Seed = *f.Parameters.Seed
	}
	return o
}

// Validate checks the config and returns its problems, each naming file and
// field. workflow returns the parsed, valid graph of a workflow file name;
// Validate stores it in o.Graph when the bindings resolve. When workflow is
// nil the graph checks are skipped.
func (o *Output) Validate(workflow func(name string) (*graph.Graph, error)) []Problem {
	ps := &problems{file: o.File}
	validateID(ps, o.ID)
	validateTexts(ps, o.Name, o.Description, o.Category)
	validateDisplay(ps, o.Display)
	if o.Media != MediaImage {
		ps.errorf("media", "%q is not supported; want %q", o.Media, MediaImage)
	}
	switch o.Backend {
	case BackendSwarmUI:
		if o.Model == "" {
			ps.errorf("model", "required for the swarmui backend")
		}
	case BackendComfyUI:
		if o.Workflow == "" {
			ps.errorf("workflow", "required for the comfyui backend")
		}
	default:
		ps.errorf("backend", "%q is neither %q nor %q", o.Backend, BackendSwarmUI, BackendComfyUI)
	}
	o.validateParams(ps)
	o.validateUploads(ps)
	if o.Workflow == "" {
		if len(o.Inputs) > 0 {
			ps.errorf("inputs", "bindings need a workflow")
		}
		if o.OutputNode != "" {
			ps.errorf("output", "needs a workflow")
		}
		if o.LoRATarget != "" {
			ps.errorf("lora_target", "needs a workflow")
		}
		return ps.list
	}
	if !validWorkflowName(o.Workflow) {
		ps.errorf("workflow", "%q is not a .json file name in workflows/", o.Workflow)
		return ps.list
	}
	if workflow == nil {
		return ps.list
	}
	g, err := workflow(o.Workflow)
	if err != nil {
		ps.errorf("workflow", "%v", err)
		return ps.list
	}
	o.validateGraph(ps, g)
	if !ps.failed() {
		o.Graph = g
	}
	return ps.list
}

func (o *Output) validateParams(ps *problems) {
	p := o.Parameters
	for _, side := range []struct {
		field string
		v     int
	}{{"parameters.width", p.Width}, {"parameters.height", p.Height}} {
		if side.v < 64 || side.v > 4096 || side.v%8 != 0 {
			ps.errorf(side.field, "%d is not a multiple of 8 within 64..4096", side.v)
		}
	}
	if p.Steps < 1 || p.Steps > 200 {
		ps.errorf("parameters.steps", "%d is outside 1..200", p.Steps)
	}
	if !inRange(p.CFG, 0, 30) {
		ps.errorf("parameters.cfg", "%v is outside 0..30", p.CFG)
	}
}

func (o *Output) validateUploads(ps *problems) {
	u := o.Uploads
	switch {
	case u.Min < 0:
		ps.errorf("uploads.min", "%d is negative", u.Min)
	case u.Max > MaxUploads:
		ps.errorf("uploads.max", "%d is more than %d", u.Max, MaxUploads)
	case u.Max < u.Min:
		ps.errorf("uploads.max", "%d is less than uploads.min %d", u.Max, u.Min)
	case u.Max > 0 && o.Workflow == "":
		ps.errorf("uploads", "uploaded images need a workflow")
	}
}

// validateGraph checks bindings, output node and LoRA target against g.
func (o *Output) validateGraph(ps *problems, g *graph.Graph) {
	names := make([]string, 0, len(o.Inputs))
	for name := range o.Inputs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		b := o.Inputs[name]
		if b.Field == "" {
			ps.errorf("inputs."+name+".field", "missing")
			continue
		}
		if _, err := g.Resolve(b); err != nil {
			ps.errorf("inputs."+name, "%v", err)
		}
	}
	if _, ok := o.Inputs["prompt"]; !ok {
		ps.errorf("inputs", `no "prompt" binding`)
	}
	for n := 1; n <= o.Uploads.Max; n++ {
		if _, ok := o.Inputs[ImageBinding(n)]; !ok {
			ps.errorf("inputs", "uploads.max is %d but there is no %q binding", o.Uploads.Max, ImageBinding(n))
		}
	}
	if id, err := outputNode(g, o.OutputNode); err != nil {
		ps.errorf("output", "%v", err)
	} else {
		o.OutputNode = id
	}
	if o.LoRATarget != "" {
		if _, err := g.ModelSource(o.LoRATarget); err != nil {
			ps.errorf("lora_target", "%v", err)
		}
	} else if _, err := g.ModelSource(""); err != nil {
		ps.warnf("lora_target", "LoRAs cannot be injected into %s: %v", o.Workflow, err)
	}
}

// outputNode resolves the "output" reference (a node id, a node title, or
// empty for the only SaveImage/PreviewImage) to a node id.
func outputNode(g *graph.Graph, ref string) (string, error) {
	if ref == "" {
		ids := append(g.FindByClass("SaveImage"), g.FindByClass("PreviewImage")...)
		switch len(ids) {
		case 0:
			return "", fmt.Errorf("the workflow has no SaveImage or PreviewImage node")
		case 1:
			return ids[0], nil
		}
		slices.Sort(ids)
		return "", fmt.Errorf("the workflow has several image outputs %v; name one", ids)
	}
	id := ref
	class, ok := g.ClassOf(ref)
	if !ok {
		ids := g.FindByTitle(ref)
		switch len(ids) {
		case 0:
			return "", fmt.Errorf("no node %q (by id or title)", ref)
		case 1:
			id = ids[0]
			class, _ = g.ClassOf(id)
		default:
			return "", fmt.Errorf("title %q matches several nodes %v; give the node id", ref, ids)
		}
	}
	if class != "SaveImage" && class != "PreviewImage" {
		return "", fmt.Errorf("node %q is a %s, not a SaveImage or PreviewImage", ref, class)
	}
	return id, nil
}

// Summary returns the catalog entry of the config (GET /api/configs).
func (o *Output) Summary() Summary {
	return Summary{
		ID: o.ID, Kind: KindOutput,
		Name: o.Name, Description: o.Description, Category: o.Category,
		Icon: o.Display.Icon, Color: o.Display.Color, Order: o.Display.Order,
		Media: o.Media, LoRAs: []LoRA{},
	}
}
