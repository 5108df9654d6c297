package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ai4artsed/ai4artsed/internal/graph"
)

// Sub-folders of a config tree.
const (
	dirInterception = "interception"
	dirOutput       = "output"
	dirWorkflows    = "workflows"
)

// layer is one tree of config files: the built-ins or the override dir.
type layer struct {
	fsys    fs.FS
	display func(name string) string // path shown in problems
	builtin bool
}

// source is one .json file of a layer.
type source struct {
	name string // file name, e.g. "dada.json"
	id   string // name without ".json"
	file string // path shown in problems
	data []byte
}

// files reads the .json files of one sub-folder; a missing folder is empty.
func (l layer) files(dir string) ([]source, []Problem) {
	entries, err := fs.ReadDir(l.fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []Problem{{File: l.display(dir), Message: fmt.Sprintf("cannot list: %v", err)}}
	}
	var out []source
	var probs []Problem
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		name := path.Join(dir, e.Name())
		data, err := fs.ReadFile(l.fsys, name)
		if err != nil {
			probs = append(probs, Problem{File: l.display(name), Message: fmt.Sprintf("cannot read: %v", err)})
			continue
		}
		out = append(out, source{name: e.Name(), id: strings.TrimSuffix(e.Name(), ".json"), file: l.display(name), data: data})
	}
	return out, probs
}

// loader builds a catalog from layers, collecting problems as it goes.
type loader struct {
	problems      []Problem
	workflows     map[string]*workflow
	badWorkflows  map[string]bool
	outputs       map[string]*Output
	interceptions map[string]*Interception
	models, loras map[string]bool
}

func newLoader() *loader {
	return &loader{
		workflows:     map[string]*workflow{},
		badWorkflows:  map[string]bool{},
		outputs:       map[string]*Output{},
		interceptions: map[string]*Interception{},
		models:        map[string]bool{},
		loras:         map[string]bool{},
	}
}

// build loads the built-in layer and, if dir is not empty, the override
// layer, then the safety lists (c.filter is nil if they failed). builtinFailed reports an error in a built-in file; err reports an
// override dir that cannot be read.
func build(builtin fs.FS, dir string) (c *Catalog, probs []Problem, builtinFailed bool, err error) {
	ld := newLoader()
	base := layer{fsys: builtin, display: func(n string) string { return "builtin/" + n }, builtin: true}
	ld.loadLayer(base)
	builtinFailed = HasError(ld.problems)
	var over *layer
	if dir != "" {
		info, statErr := os.Stat(dir)
		if statErr == nil && !info.IsDir() {
			statErr = fmt.Errorf("%s is not a directory", dir)
		}
		if statErr != nil {
			return nil, ld.problems, builtinFailed, fmt.Errorf("catalog: config dir: %w", statErr)
		}
		over = &layer{fsys: os.DirFS(dir), display: func(n string) string { return filepath.Join(dir, filepath.FromSlash(n)) }}
		ld.loadLayer(*over)
	}
	filter := ld.loadSafety(base, over)
	c = ld.catalog()
	c.filter = filter
	return c, ld.problems, builtinFailed, nil
}

// loadLayer loads workflows, then outputs (which use them), then
// interceptions (which name outputs).
func (ld *loader) loadLayer(l layer) {
	ws, probs := l.files(dirWorkflows)
	ld.problems = append(ld.problems, probs...)
	for _, s := range ws {
		ld.addWorkflow(s)
	}
	outs, probs := l.files(dirOutput)
	ld.problems = append(ld.problems, probs...)
	for _, s := range outs {
		ld.addOutput(s)
	}
	ins, probs := l.files(dirInterception)
	ld.problems = append(ld.problems, probs...)
	for _, s := range ins {
		ld.addInterception(s)
	}
}

// addWorkflow adds a valid workflow. One that replaces an earlier workflow
// must still suit every loaded output using it, else it is rejected.
func (ld *loader) addWorkflow(s source) {
	w, probs := readWorkflow(s.name, s.file, s.data)
	ld.problems = append(ld.problems, probs...)
	if w == nil {
		if ld.workflows[s.name] == nil {
			ld.badWorkflows[s.name] = true
		}
		return
	}
	old := ld.workflows[s.name]
	ld.workflows[s.name] = w
	if old != nil {
		updated := map[string]*Output{}
		var broken []Problem
		for _, id := range sortedKeys(ld.outputs) {
			o := ld.outputs[id]
			if o.Workflow != s.name {
				continue
			}
			cp := *o
			for _, p := range cp.Validate(ld.workflow) {
				if !p.Warning {
					broken = append(broken, Problem{File: s.file, Message: fmt.Sprintf("breaks output %q: %s", id, p)})
				}
			}
			updated[id] = &cp
		}
		if len(broken) > 0 {
			ld.workflows[s.name] = old
			ld.problems = append(ld.problems, broken...)
			return
		}
		for id, o := range updated {
			ld.outputs[id] = o
		}
	}
	for _, m := range w.models {
		ld.models[m] = true
	}
	for _, l := range w.loras {
		ld.loras[l] = true
	}
}

// workflow looks up a loaded workflow for Output.Validate.
func (ld *loader) workflow(name string) (*graph.Graph, error) {
	if w, ok := ld.workflows[name]; ok {
		return w.graph, nil
	}
	if ld.badWorkflows[name] {
		return nil, fmt.Errorf("workflow %q is invalid (see its own problems)", name)
	}
	return nil, fmt.Errorf("no workflow %q in %s/", name, dirWorkflows)
}

// output looks up a loaded output for Interception.Validate.
func (ld *loader) output(id string) (*Output, bool) {
	o, ok := ld.outputs[id]
	return o, ok
}

func (ld *loader) addOutput(s source) {
	ps := &problems{file: s.file}
	o := decodeOutput(ps, s.id, s.data)
	if o != nil {
		ps.list = append(ps.list, o.Validate(ld.workflow)...)
	}
	if _, taken := ld.interceptions[s.id]; taken {
		ps.errorf("", "id %q is already used by an interception config", s.id)
	}
	ld.problems = append(ld.problems, ps.list...)
	if o == nil || ps.failed() {
		return
	}
	ld.outputs[s.id] = o
	if o.Model != "" {
		ld.models[o.Model] = true
	}
}

func (ld *loader) addInterception(s source) {
	ps := &problems{file: s.file}
	in := decodeInterception(ps, s.id, s.data)
	if in != nil {
		ps.list = append(ps.list, in.Validate(ld.output)...)
	}
	if _, taken := ld.outputs[s.id]; taken {
		ps.errorf("", "id %q is already used by an output config", s.id)
	}
	ld.problems = append(ld.problems, ps.list...)
	if in == nil || ps.failed() {
		return
	}
	ld.interceptions[s.id] = in
	for _, l := range in.LoRAs {
		ld.loras[l.Name] = true
	}
}

// catalog freezes what was loaded.
func (ld *loader) catalog() *Catalog {
	c := &Catalog{
		interceptions: ld.interceptions,
		outputs:       ld.outputs,
		models:        sortedKeys(ld.models),
		loras:         sortedKeys(ld.loras),
	}
	for _, in := range ld.interceptions {
		c.interceptionList = append(c.interceptionList, in)
	}
	slices.SortFunc(c.interceptionList, func(a, b *Interception) int {
		return byOrder(a.Display.Order, b.Display.Order, a.ID, b.ID)
	})
	for _, o := range ld.outputs {
		c.outputList = append(c.outputList, o)
	}
	slices.SortFunc(c.outputList, func(a, b *Output) int {
		return byOrder(a.Display.Order, b.Display.Order, a.ID, b.ID)
	})
	return c
}

func byOrder(oa, ob int, ida, idb string) int {
	if oa != ob {
		return oa - ob
	}
	return strings.Compare(ida, idb)
}
