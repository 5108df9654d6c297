package graph

import "fmt"

// loraSource is where a LoRA chain starts: the model output and, unless the
// chain is model-only, the CLIP output.
type loraSource struct {
	loader string // the model loader node
	model  Link
	clip   Link
	noClip bool // no CLIP source: chain LoraLoaderModelOnly nodes
}

// ModelSource returns the id of the model loader that LoRAs would be injected
// after: the CheckpointLoaderSimple or UNETLoader named by target (a node id, or
// else a unique title), or without a target the only such loader whose MODEL
// output reaches a sampler. Errors wrap [ErrUnknownTarget], [ErrNoModelLoader]
// or [ErrAmbiguousLoader].
func (g *Graph) ModelSource(target string) (string, error) {
	if target != "" {
		return g.targetLoader(target)
	}
	cons := g.consumers()
	var loaders, cands []string
	for _, id := range g.IDs() {
		if !isModelLoader(g.nodes[id].class) {
			continue
		}
		loaders = append(loaders, id)
		if len(g.samplersFed(Link{id, 0}, cons)) > 0 {
			cands = append(cands, id)
		}
	}
	switch {
	case len(loaders) == 0:
		return "", fmt.Errorf("%w: the graph has no %s or %s node", ErrNoModelLoader, classCheckpoint, classUNET)
	case len(cands) == 0:
		return "", fmt.Errorf("%w: the MODEL output of %s reaches no sampler", ErrNoModelLoader, g.describeAll(loaders))
	case len(cands) > 1:
		return "", fmt.Errorf("%w: %s all reach a sampler; name one as the target", ErrAmbiguousLoader, g.describeAll(cands))
	}
	return cands[0], nil
}

func (g *Graph) targetLoader(target string) (string, error) {
	id := target
	if !g.Has(id) {
		ids := g.FindByTitle(target)
		switch len(ids) {
		case 0:
			return "", fmt.Errorf("%w: no node has the id or title %q", ErrUnknownTarget, target)
		case 1:
			id = ids[0]
		default:
			return "", fmt.Errorf("%w: title %q matches %s; give a node id", ErrUnknownTarget, target, g.describeAll(ids))
		}
	}
	if !isModelLoader(g.nodes[id].class) {
		return "", fmt.Errorf("%w: node %s is not a %s or %s", ErrUnknownTarget, g.describe(id), classCheckpoint, classUNET)
	}
	return id, nil
}

// loraSource finds the model loader and its CLIP source. A checkpoint's CLIP is
// its output 1. For a UNET loader it is the CLIP loader whose output reaches a
// sampler that the UNET's model reaches (through the text encoders); with none,
// the chain is model-only.
func (g *Graph) loraSource(target string) (loraSource, error) {
	id, err := g.ModelSource(target)
	if err != nil {
		return loraSource{}, err
	}
	src := loraSource{loader: id, model: Link{id, 0}}
	if g.nodes[id].class == classCheckpoint {
		src.clip = Link{id, 1}
		return src, nil
	}
	cons := g.consumers()
	modelSamplers := g.samplersFed(src.model, cons)
	var cands []string
	for _, cid := range g.IDs() {
		if !isCLIPLoader(g.nodes[cid].class) {
			continue
		}
		for s := range g.samplersFed(Link{cid, 0}, cons) {
			if modelSamplers[s] {
				cands = append(cands, cid)
				break
			}
		}
	}
	switch len(cands) {
	case 0:
		src.noClip = true
	case 1:
		src.clip = Link{cands[0], 0}
	default:
		return loraSource{}, fmt.Errorf("%w: CLIP loaders %s all feed the samplers of %s", ErrAmbiguousLoader, g.describeAll(cands), g.describe(id))
	}
	return src, nil
}
