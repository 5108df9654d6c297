package graph

import (
	"fmt"
	"strings"
)

// inputRef names one input of one node.
type inputRef struct {
	node, field string
}

// readersOf returns every input that links to output l, in natural node order
// and input order.
func (g *Graph) readersOf(l Link) []inputRef {
	var refs []inputRef
	for _, id := range g.IDs() {
		n := g.nodes[id]
		for _, field := range n.inputs.keys {
			if got, ok := parseLink(n.inputs.vals[field]); ok && got == l {
				refs = append(refs, inputRef{id, field})
			}
		}
	}
	return refs
}

// Readers returns "node.field" for every input that links to output l, in
// natural node order: who reads a node's output.
func (g *Graph) Readers(l Link) []string {
	var out []string
	for _, r := range g.readersOf(l) {
		out = append(out, r.node+"."+r.field)
	}
	return out
}

// consumers maps each node id to the ids of the nodes that have an input linking
// to any of its outputs.
func (g *Graph) consumers() map[string][]string {
	cons := make(map[string][]string)
	for _, id := range g.IDs() {
		for _, raw := range g.nodes[id].inputs.vals {
			if l, ok := parseLink(raw); ok {
				cons[l.Node] = append(cons[l.Node], id)
			}
		}
	}
	return cons
}

// samplersFed returns the sampler nodes that output out reaches, following
// links downstream through any nodes (model patches, LoRA loaders, guiders,
// text encoders) but not past a sampler.
func (g *Graph) samplersFed(out Link, cons map[string][]string) map[string]bool {
	seen := map[string]bool{}
	var queue []string
	for _, r := range g.readersOf(out) {
		if !seen[r.node] {
			seen[r.node] = true
			queue = append(queue, r.node)
		}
	}
	samplers := map[string]bool{}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if isSampler(g.nodes[id].class) {
			samplers[id] = true
			continue
		}
		for _, c := range cons[id] {
			if !seen[c] {
				seen[c] = true
				queue = append(queue, c)
			}
		}
	}
	return samplers
}

// describe names a node for messages: "4" (CheckpointLoaderSimple "Base").
func (g *Graph) describe(id string) string {
	n := g.nodes[id]
	if t := n.title(); t != "" && t != n.class {
		return fmt.Sprintf("%q (%s %q)", id, n.class, t)
	}
	return fmt.Sprintf("%q (%s)", id, n.class)
}

func (g *Graph) describeAll(ids []string) string {
	d := make([]string, len(ids))
	for i, id := range ids {
		d[i] = g.describe(id)
	}
	return strings.Join(d, ", ")
}
