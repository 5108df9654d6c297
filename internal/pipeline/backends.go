package pipeline

import (
	"context"
	"errors"
	"fmt"
	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"io"
	"math"
	"path"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/graph"
	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// generatedImage is one image as a backend produced it.
type generatedImage struct {
	Data []byte
	Name string
}

// viaSwarm generates through SwarmUI's text-to-image API.
func (x *execution) viaSwarm(ctx context.Context, im *Images, out *catalog.Output, rec *generationRecord) ([]generatedImage, error) {
	p := out.Parameters
	req := swarm.T2IRequest{
		Prompt: rec.Prompt, NegativePrompt: rec.Negative, Model: out.Model,
		Width: p.Width, Height: p.Height, Steps: p.Steps, CFG: p.CFG, Seed: int64(rec.Seed),
		Sampler: p.Sampler, Scheduler: p.Scheduler, Images: 1,
	}
	for _, l := range rec.LoRAs {
		req.LoRAs = append(req.LoRAs, l.Name)
		req.LoRAWeights = append(req.LoRAWeights, l.Strength)
	}
	steps := max(p.Steps, 1)
	x.publish(api.ProgressEvent{Stage: 4, Value: 0, Max: steps})
	imgs, last, err := x.swarmGenerate(ctx, im.Swarm, req, steps)
	if err != nil {
		return nil, fmt.Errorf("swarmui text-to-image with model %s: %w", out.Model, err)
	}
	if last < steps {
		x.publish(api.ProgressEvent{Stage: 4, Value: steps, Max: steps})
	}
	res := make([]generatedImage, 0, len(imgs))
	for _, im := range imgs {
		rec.Files = append(rec.Files, im.Path)
		res = append(res, generatedImage{Data: im.Data, Name: path.Base(im.Path)})
	}
	return res, nil
}

// swarmGenerate runs req on SwarmUI, over the websocket route when the
// client has it: then each gen_progress becomes a progress event of
// round(overall × steps), never decreasing. It returns the last value
// published. A SwarmUI without the route gets the plain HTTP call.
func (x *execution) swarmGenerate(ctx context.Context, sw SwarmAPI, req swarm.T2IRequest, steps int) ([]swarm.Image, int, error) {
	st, ok := sw.(SwarmStreamer)
	if !ok {
		imgs, err := sw.GenerateText2Image(ctx, req)
		return imgs, 0, err
	}
	last := 0
	imgs, err := st.GenerateText2ImageWS(ctx, req, func(pr swarm.Progress) {
		x.progressed.Store(true)
		v := min(int(math.Round(pr.Overall*float64(steps))), steps)
		if v > last {
			last = v
			x.publish(api.ProgressEvent{Stage: 4, Value: v, Max: steps})
		}
	})
	if errors.Is(err, swarm.ErrNoWebsocket) {
		if x.p.swarmNoWS.CompareAndSwap(false, true) {
			x.p.log.Warn("swarmui websocket route unavailable; generating without live progress", "err", err)
		}
		imgs, err = sw.GenerateText2Image(ctx, req)
	}
	return imgs, last, err
}

// viaWorkflow binds the run's values into the output's workflow, injects the
// LoRA chain and runs it on ComfyUI.
func (x *execution) viaWorkflow(ctx context.Context, im *Images, out *catalog.Output, rec *generationRecord) ([]generatedImage, error) {
	if out.Graph == nil {
		return nil, fmt.Errorf("output %q has no workflow: %w", out.ID, fault.ErrUnknownConfig)
	}
	rec.Backend = "comfyui"
	g := out.Graph.Clone()
	values, err := x.bindingValues(ctx, im, out, rec)
	if err != nil {
		return nil, err
	}
	if err := g.Apply(out.Inputs, values); err != nil {
		return nil, fmt.Errorf("workflow %s: bind %w", out.Workflow, err)
	}
	if len(rec.LoRAs) > 0 {
		ls := make([]graph.LoRA, 0, len(rec.LoRAs))
		for _, l := range rec.LoRAs {
			clip := l.Strength
			if l.ClipStrength != nil {
				clip = *l.ClipStrength
			}
			ls = append(ls, graph.LoRA{Name: l.Name, Strength: l.Strength, ClipStrength: clip})
		}
		rec.Injected, err = g.InjectLoRAs(out.LoRATarget, ls, x.p.log.With("run", x.run.ID))
		if err != nil {
			return nil, fmt.Errorf("workflow %s: inject LoRAs: %w", out.Workflow, err)
		}
	}
	raw, err := g.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("workflow %s: encode: %w", out.Workflow, err)
	}
	rec.Workflow = raw
	res, err := im.Comfy.Generate(ctx, comfy.Job{
		Graph: raw, OutputNode: out.OutputNode, Timeout: im.timeout(),
		OnQueued: func(id string) {
			rec.PromptID = id
			x.p.log.Info("workflow queued", "run", x.run.ID, "prompt_id", id)
		},
		OnProgress: func(p comfy.Progress) {
			x.progressed.Store(true)
			x.publish(api.ProgressEvent{Stage: 4, Value: p.Value, Max: p.Max})
		},
	})
	if res != nil && res.PromptID != "" {
		rec.PromptID = res.PromptID
	}
	if err != nil {
		return nil, fmt.Errorf("comfyui workflow %s: %w", out.Workflow, err)
	}
	imgs := make([]generatedImage, 0, len(res.Images))
	for _, im := range res.Images {
		rec.Files = append(rec.Files, path.Join(im.Type, im.Subfolder, im.Filename))
		imgs = append(imgs, generatedImage{Data: im.Data, Name: im.Filename})
	}
	return imgs, nil
}

// bindingValues are the values a workflow's bindings take for this run.
func (x *execution) bindingValues(ctx context.Context, im *Images, out *catalog.Output, rec *generationRecord) (map[string]any, error) {
	p := out.Parameters
	v := map[string]any{"prompt": rec.Prompt, "seed": rec.Seed}
	if rec.Negative != "" {
		v["negative_prompt"] = rec.Negative
	}
	for name, n := range map[string]int{"width": p.Width, "height": p.Height, "steps": p.Steps} {
		if n > 0 {
			v[name] = n
		}
	}
	if p.CFG > 0 {
		v["cfg"] = p.CFG
	}
	if p.Sampler != "" {
		v["sampler"] = p.Sampler
	}
	if p.Scheduler != "" {
		v["scheduler"] = p.Scheduler
	}
	names, err := x.uploadImages(ctx, im)
	if err != nil {
		return nil, err
	}
	for i, n := range names {
		key := "image"
		if i > 0 {
			key = fmt.Sprintf("image_%d", i+1)
		}
		v[key] = n
	}
	// A workflow with more image inputs than uploads reuses the first image.
	for i := len(names); i < out.Uploads.Max && len(names) > 0; i++ {
		v[fmt.Sprintf("image_%d", i+1)] = names[0]
	}
	return v, nil
}

// uploadImages sends the run's uploads to ComfyUI and returns their names there.
func (x *execution) uploadImages(ctx context.Context, im *Images) ([]string, error) {
	var names []string
	for _, id := range x.req.Uploads {
		u, err := x.p.cfg.Store.GetUpload(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("upload %q: %w", id, fault.ErrUnknownUpload)
		}
		f, err := x.p.cfg.Files.Open(ctx, u.Hash, media.ExtFor(u.Mime))
		if err != nil {
			return nil, fmt.Errorf("upload %q: open: %w", id, err)
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("upload %q: read: %w", id, err)
		}
		name, err := im.Comfy.UploadImage(ctx, "ai4artsed_"+u.Hash[:16]+media.ExtFor(u.Mime), data)
		if err != nil {
			return nil, fmt.Errorf("send upload %q to comfyui: %w", id, err)
		}
		names = append(names, name)
	}
	return names, nil
}
