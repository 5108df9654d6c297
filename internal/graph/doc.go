// Package graph reads, checks and edits ComfyUI workflow graphs in API format.
//
// An API-format graph is a JSON object keyed by string node id. Each node has a
// "class_type", an "inputs" object and usually a "_meta" object with a "title".
// An input is either a literal or a link ["source node id", output index].
//
// The package keeps every byte it does not touch: node inputs and unknown fields
// are held as compact raw JSON, so numbers (seeds up to 2^64-1), _meta and fields
// of custom nodes round-trip exactly. Writing is deterministic: nodes come out in
// natural id order (numeric ids ascending, then the other ids), fields in the order
// they were read.
//
// On top of that it offers:
//   - look-ups by id, class and title, and [Graph.Validate], which checks that every
//     link points to an existing node and to an output slot that node's class has;
//   - input bindings ([Binding]) that set a prompt, seed, size or image into a graph
//     by node id or title;
//   - LoRA injection ([Graph.InjectLoRAs]) as the product contract describes: a chain
//     of LoraLoader nodes between the model loader and everything that read it.
package graph
