package catalog

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"slices"

	"github.com/ai4artsed/ai4artsed/internal/safety"
)

//go:embed builtin
var builtinFiles embed.FS

// ErrInvalidBuiltin reports that a built-in config or workflow failed
// validation: a bug in the binary, never a user error.
var ErrInvalidBuiltin = errors.New("catalog: invalid built-in config")

// Builtin returns the embedded built-in tree with the folders interception/,
// output/, workflows/ and safety/.
func Builtin() fs.FS {
	sub, err := fs.Sub(builtinFiles, "builtin")
	if err != nil {
		panic(err) // "builtin" is a valid constant path
	}
	return sub
}

// Catalog holds the loaded, validated configs. It is immutable and safe for
// concurrent use; the configs it returns are shared and must not be changed.
type Catalog struct {
	interceptions    map[string]*Interception
	outputs          map[string]*Output
	interceptionList []*Interception
	outputList       []*Output
	models, loras    []string
	filter           *safety.Filter
}

// Load reads the built-in configs from builtin and, if overrideDir is not
// empty, the configs in overrideDir's interception/, output/ and workflows/
// folders. A file there adds a config or replaces the built-in of the same id
// (for workflows: of the same file name).
//
// Every built-in must be valid: an invalid one makes Load fail with
// ErrInvalidBuiltin. A broken override file is logged with file and field and
// skipped. The safety lists (safety/86a.json, kids.json, youth.json,
// personal_data.json, allow.json; an override file replaces the built-in
// one) are different: if one is missing or invalid, Load fails with
// ErrSafetyLists, so the server never runs with an empty list. The returned
// problems hold every error and warning found; Load fails too when
// overrideDir cannot be read. log may be nil.
func Load(builtin fs.FS, overrideDir string, log *slog.Logger) (*Catalog, []Problem, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c, probs, builtinFailed, err := build(builtin, overrideDir)
	for _, p := range probs {
		if p.Warning {
			log.Warn("catalog: config warning", "file", p.File, "field", p.Field, "problem", p.Message)
		} else {
			log.Error("catalog: config skipped", "file", p.File, "field", p.Field, "problem", p.Message)
		}
	}
	if err != nil {
		return nil, probs, err
	}
	if builtinFailed {
		for _, p := range probs {
			if !p.Warning {
				return nil, probs, fmt.Errorf("%w: %s", ErrInvalidBuiltin, p)
			}
		}
	}
	if c.filter == nil {
		return nil, probs, safetyError(probs)
	}
	log.Info("catalog: loaded", "interceptions", len(c.interceptionList), "outputs", len(c.outputList),
		"safety_terms", c.filter.Terms(), "override_dir", overrideDir)
	return c, probs, nil
}

// Check validates the built-in configs and safety lists and, if dir is not
// empty, the files in dir, and returns every problem found without stopping at the first one
// (for `ai4artsed configs check [DIR]`).
func Check(builtin fs.FS, dir string) []Problem {
	_, probs, _, err := build(builtin, dir)
	if err != nil {
		probs = append(probs, Problem{File: dir, Message: err.Error()})
	}
	return probs
}

// Interceptions returns the interception configs sorted by display order,
// then id.
func (c *Catalog) Interceptions() []*Interception { return slices.Clone(c.interceptionList) }

// Interception returns the interception config with the given id.
func (c *Catalog) Interception(id string) (*Interception, bool) {
	in, ok := c.interceptions[id]
	return in, ok
}

// Outputs returns the output configs sorted by display order, then id.
func (c *Catalog) Outputs() []*Output { return slices.Clone(c.outputList) }

// Output returns the output config with the given id.
func (c *Catalog) Output(id string) (*Output, bool) {
	o, ok := c.outputs[id]
	return o, ok
}

// Summaries returns the list entries of all configs of kind ("interception",
// "output", or "" for both: interceptions first), each group sorted like
// Interceptions and Outputs.
func (c *Catalog) Summaries(kind string) []Summary {
	var out []Summary
	if kind == "" || kind == KindInterception {
		for _, in := range c.interceptionList {
			out = append(out, in.Summary())
		}
	}
	if kind == "" || kind == KindOutput {
		for _, o := range c.outputList {
			out = append(out, o.Summary())
		}
	}
	return out
}

// ModelFiles lists, sorted and without duplicates, every model file and every
// LoRA file the loaded configs name: output models, the loader inputs
// (ckpt_name, unet_name, clip_name*, vae_name) of every workflow, and the
// LoRAs of interceptions and workflows. The demo simulators serve these lists.
func (c *Catalog) ModelFiles() (models, loras []string) {
	return slices.Clone(c.models), slices.Clone(c.loras)
}
