// Package catalog loads, validates and serves the configs that drive a run:
// interception configs (the meta-prompts of stage 2, in the AI4ArtsEd
// community format), output configs (media backend, model, parameters and
// optionally a ComfyUI workflow with input bindings) and the workflow graphs
// those outputs name.
//
// Built-in configs are embedded in the binary (see [Builtin]); a directory of
// the same layout (interception/, output/, workflows/) adds configs or
// overrides built-ins of the same id. A config's id is its file name without
// ".json". [Load] builds an immutable [Catalog]; [Check] reports every problem
// without stopping at the first one.
package catalog
