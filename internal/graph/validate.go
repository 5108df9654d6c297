package graph

import (
	"errors"
	"fmt"
)

// Validate checks every input of every node: a link must be ["node id", slot]
// with a string id of an existing node and a non-negative integer slot that the
// node's class has (for known classes; see [OutputTypes]), and links must not
// form a cycle. Any other list value is a malformed link, as ComfyUI treats every
// list input as a link. Validate returns nil or an errors.Join of one error per
// problem, in natural node order; each wraps [ErrInvalid] and names the node and
// input.
func (g *Graph) Validate() error {
	var errs []error
	for _, id := range g.IDs() {
		n := g.nodes[id]
		for _, field := range n.inputs.keys {
			raw := n.inputs.vals[field]
			if len(raw) == 0 || raw[0] != '[' {
				continue
			}
			if err := g.checkLink(raw); err != nil {
				errs = append(errs, fmt.Errorf("%w: node %q (%s) input %q: %v", ErrInvalid, id, n.class, field, err))
			}
		}
	}
	errs = append(errs, g.cycles()...)
	return errors.Join(errs...)
}

func (g *Graph) checkLink(raw []byte) error {
	l, ok := parseLink(raw)
	if !ok {
		return fmt.Errorf("malformed link %s: want [\"node id\", output index]", truncate(raw, 60))
	}
	src, ok := g.nodes[l.Node]
	if !ok {
		return fmt.Errorf("links to missing node %q", l.Node)
	}
	if outs, known := outputTypes[src.class]; known && l.Slot >= len(outs) {
		return fmt.Errorf("links to output %d of node %q, but %s has %d output(s)", l.Slot, l.Node, src.class, len(outs))
	}
	return nil
}

// cycles reports each link that closes a cycle, found by a depth-first walk
// along links in natural node order.
func (g *Graph) cycles() []error {
	const (
		unseen = iota
		active
		finished
	)
	state := make(map[string]int, len(g.nodes))
	var errs []error
	type frame struct {
		id string
		i  int // next input to look at
	}
	for _, root := range g.IDs() {
		if state[root] != unseen {
			continue
		}
		stack := []frame{{id: root}}
		state[root] = active
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			n := g.nodes[top.id]
			if top.i >= len(n.inputs.keys) {
				state[top.id] = finished
				stack = stack[:len(stack)-1]
				continue
			}
			field := n.inputs.keys[top.i]
			top.i++
			l, ok := parseLink(n.inputs.vals[field])
			if !ok || g.nodes[l.Node] == nil {
				continue
			}
			switch state[l.Node] {
			case active:
				errs = append(errs, fmt.Errorf("%w: node %q (%s) input %q: link to node %q closes a cycle", ErrInvalid, top.id, n.class, field, l.Node))
			case unseen:
				state[l.Node] = active
				stack = append(stack, frame{id: l.Node})
			}
		}
	}
	return errs
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "..."
}
