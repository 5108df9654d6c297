package graph

import "errors"

// Sentinel errors. Errors returned by this package wrap one of them, so callers
// classify with errors.Is and show the full message to users.
var (
	// ErrInvalid marks a malformed graph: bad JSON, a node that is not an object,
	// a missing class_type, or (from Validate) a broken link.
	ErrInvalid = errors.New("graph: invalid graph")
	// ErrBinding marks an input binding that does not fit the graph.
	ErrBinding = errors.New("graph: bad input binding")
	// ErrNoModelLoader means no model loader feeds a sampler.
	ErrNoModelLoader = errors.New("graph: no model loader reaches a sampler")
	// ErrAmbiguousLoader means several loaders qualify and no target picks one.
	ErrAmbiguousLoader = errors.New("graph: ambiguous model loader")
	// ErrBadLoRAName marks a LoRA name that is not a safe relative file name.
	ErrBadLoRAName = errors.New("graph: bad lora name")
	// ErrBadStrength marks a LoRA strength that is missing, not finite or out of range.
	ErrBadStrength = errors.New("graph: bad lora strength")
	// ErrUnknownTarget means the requested target is not a model loader of the graph.
	ErrUnknownTarget = errors.New("graph: unknown lora target")
)
