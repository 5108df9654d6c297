package comfysim

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
)

// gnode is one node of a submitted API-format graph.
type gnode struct {
	id        string
	classType string
	hasClass  bool
	inputs    map[string]any // raw values, numbers as json.Number
	vals      map[string]any // converted literal values after validation
}

// graph is a parsed prompt.
type graph struct {
	nodes map[string]*gnode
	order []string // node ids sorted naturally, for deterministic reports
}

// parseGraph decodes an API-format graph, keeping numbers exact.
func parseGraph(raw json.RawMessage) (*graph, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, err
	}
	if top == nil {
		return nil, errors.New("prompt is not an object")
	}
	g := &graph{nodes: make(map[string]*gnode, len(top))}
	for id, rawNode := range top {
		n := &gnode{id: id, inputs: map[string]any{}, vals: map[string]any{}}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(rawNode, &fields); err == nil {
			if ct, ok := fields["class_type"]; ok {
				n.hasClass = true
				_ = json.Unmarshal(ct, &n.classType)
			}
			if in, ok := fields["inputs"]; ok {
				dec := json.NewDecoder(bytes.NewReader(in))
				dec.UseNumber()
				var inputs map[string]any
				if dec.Decode(&inputs) == nil && inputs != nil {
					n.inputs = inputs
				}
			}
		}
		g.nodes[id] = n
		g.order = append(g.order, id)
	}
	slices.SortFunc(g.order, compareIDs)
	return g, nil
}

// compareIDs orders numeric ids numerically, then others lexically.
func compareIDs(a, b string) int {
	ai, aerr := strconv.ParseInt(a, 10, 64)
	bi, berr := strconv.ParseInt(b, 10, 64)
	switch {
	case aerr == nil && berr == nil:
		return int(max(-1, min(1, ai-bi)))
	case aerr == nil:
		return -1
	case berr == nil:
		return 1
	}
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// linkOf reports whether v is a link ([id, slot]); ok is false for literals.
// A list of another length is a link with bad length (n != 2).
func linkOf(v any) (list []any, ok bool) {
	l, ok := v.([]any)
	return l, ok
}

// linkTarget returns the node id a two-element link names and whether the id
// is a string (ComfyUI's graph keys are strings; anything else is missing).
func linkTarget(l []any) (id string, isString bool) {
	if s, ok := l[0].(string); ok {
		return s, true
	}
	return pyStr(l[0]), false
}
