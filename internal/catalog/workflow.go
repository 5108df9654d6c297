package catalog

import (
	"path"
	"strings"

	"github.com/ai4artsed/ai4artsed/internal/graph"
)

// isLoaderField reports whether an input of a loader node names a model file.
func isLoaderField(name string) bool {
	switch name {
	case "ckpt_name", "unet_name", "clip_name", "clip_name1", "clip_name2", "clip_name3", "vae_name":
		return true
	}
	return false
}

// workflow is a parsed, valid workflow file.
type workflow struct {
	name   string // file name in workflows/, the key outputs use
	file   string // path for problems
	graph  *graph.Graph
	models []string // model files its loaders name
	loras  []string // LoRA files its LoraLoader nodes name
}

// readWorkflow parses and validates one workflow file; nil on problems.
func readWorkflow(name, file string, data []byte) (*workflow, []Problem) {
	ps := &problems{file: file}
	g, err := graph.Parse(data)
	if err != nil {
		ps.errorf("", "%v", err)
		return nil, ps.list
	}
	if err := g.Validate(); err != nil {
		ps.errorf("", "%v", err)
		return nil, ps.list
	}
	w := &workflow{name: name, file: file, graph: g}
	w.models, w.loras = namedFiles(g)
	return w, ps.list
}

// namedFiles lists the model and LoRA files the nodes of g name in literal
// (not linked) inputs.
func namedFiles(g *graph.Graph) (models, loras []string) {
	for _, id := range g.IDs() {
		for _, field := range g.InputNames(id) {
			v, _ := g.Input(id, field)
			s, ok := v.(string)
			switch {
			case !ok || s == "":
			case isLoaderField(field):
				models = append(models, s)
			case field == "lora_name":
				loras = append(loras, s)
			}
		}
	}
	return models, loras
}

// validWorkflowName reports whether name is a plain "*.json" file name.
func validWorkflowName(name string) bool {
	return strings.HasSuffix(name, ".json") && len(name) > len(".json") &&
		path.Base(name) == name && !strings.ContainsAny(name, `/\`) && !strings.HasPrefix(name, ".")
}
