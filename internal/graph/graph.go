package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Graph is a ComfyUI workflow graph in API format. The zero value is not usable;
// build one with [Parse]. A Graph is not safe for concurrent mutation; use
// [Graph.Clone] to give each run its own copy.
type Graph struct {
	nodes map[string]*node
}

// node holds one node. fields keeps every field of the node object in order; its
// "inputs" entry is only a place holder, the inputs themselves live in inputs.
type node struct {
	class  string
	fields *object
	inputs *object
}

// Link is an input that reads output Slot of node Node: ["Node", Slot] in JSON.
type Link struct {
	Node string
	Slot int
}

// MarshalJSON encodes the link as ComfyUI does: ["node id", slot].
func (l Link) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	buf.Write(quote(l.Node))
	buf.WriteByte(',')
	buf.WriteString(strconv.Itoa(l.Slot))
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

// String renders the link for messages.
func (l Link) String() string { return fmt.Sprintf("[%q, %d]", l.Node, l.Slot) }

// Parse reads an API-format graph. Errors wrap [ErrInvalid]: malformed JSON, a
// top level or node that is not an object, a missing or empty class_type, or
// inputs that are not an object. Parse does not check links; see [Graph.Validate].
func Parse(data []byte) (*Graph, error) {
	top, err := decodeObject(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if _, ok := top.get("nodes"); ok {
		if _, ok := top.get("links"); ok {
			return nil, fmt.Errorf("%w: this is a UI-format workflow; export it with \"Save (API Format)\"", ErrInvalid)
		}
	}
	g := &Graph{nodes: make(map[string]*node, len(top.keys))}
	for _, id := range top.keys {
		n, err := parseNode(top.vals[id])
		if err != nil {
			return nil, fmt.Errorf("%w: node %q: %v", ErrInvalid, id, err)
		}
		g.nodes[id] = n
	}
	return g, nil
}

// UnmarshalJSON parses data as [Parse] does, so a Graph can be a field of a
// decoded struct (such as the "prompt" of a ComfyUI request).
func (g *Graph) UnmarshalJSON(data []byte) error {
	p, err := Parse(data)
	if err != nil {
		return err
	}
	*g = *p
	return nil
}

func parseNode(raw json.RawMessage) (*node, error) {
	fields, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	n := &node{fields: fields, inputs: newObject()}
	ct, ok := fields.get("class_type")
	if !ok {
		return nil, fmt.Errorf("missing class_type")
	}
	if err := json.Unmarshal(ct, &n.class); err != nil || n.class == "" {
		return nil, fmt.Errorf("class_type must be a non-empty string")
	}
	if in, ok := fields.get("inputs"); ok {
		if n.inputs, err = decodeObject(in); err != nil {
			return nil, fmt.Errorf("inputs: %v", err)
		}
	}
	return n, nil
}

// MarshalJSON writes the graph compactly: nodes in natural id order (see
// [Graph.IDs]), each node's fields and inputs in the order they were read.
func (g *Graph) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, id := range g.IDs() {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(quote(id))
		buf.WriteByte(':')
		g.nodes[id].appendJSON(&buf)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func (n *node) appendJSON(buf *bytes.Buffer) {
	buf.WriteByte('{')
	for i, k := range n.fields.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(quote(k))
		buf.WriteByte(':')
		if k == "inputs" {
			n.inputs.appendJSON(buf)
		} else {
			buf.Write(n.fields.vals[k])
		}
	}
	buf.WriteByte('}')
}

// Clone returns a deep copy; changes to either graph do not affect the other.
func (g *Graph) Clone() *Graph {
	c := &Graph{nodes: make(map[string]*node, len(g.nodes))}
	for id, n := range g.nodes {
		c.nodes[id] = &node{class: n.class, fields: n.fields.clone(), inputs: n.inputs.clone()}
	}
	return c
}

// Len returns the number of nodes.
func (g *Graph) Len() int { return len(g.nodes) }

// IDs returns the node ids in natural order: canonical non-negative integers
// ascending by value, then every other id in byte order.
func (g *Graph) IDs() []string {
	ids := make([]string, 0, len(g.nodes))
	for id := range g.nodes {
		ids = append(ids, id)
	}
	sortIDs(ids)
	return ids
}

// Has reports whether the graph has a node with this id.
func (g *Graph) Has(id string) bool {
	_, ok := g.nodes[id]
	return ok
}

// ClassOf returns the class_type of node id.
func (g *Graph) ClassOf(id string) (string, bool) {
	n, ok := g.nodes[id]
	if !ok {
		return "", false
	}
	return n.class, true
}

// Title returns the node's _meta.title, or "" if it has none.
func (g *Graph) Title(id string) string {
	n, ok := g.nodes[id]
	if !ok {
		return ""
	}
	return n.title()
}

func (n *node) title() string {
	raw, ok := n.fields.get("_meta")
	if !ok {
		return ""
	}
	var meta struct {
		Title string `json:"title"`
	}
	if json.Unmarshal(raw, &meta) != nil {
		return ""
	}
	return meta.Title
}

// InputNames returns the names of node id's inputs in their order.
func (g *Graph) InputNames(id string) []string {
	n, ok := g.nodes[id]
	if !ok {
		return nil
	}
	return append([]string(nil), n.inputs.keys...)
}

// Input returns the decoded value of an input: a [Link] for a link, otherwise a
// string, json.Number, bool, nil, []any or map[string]any.
func (g *Graph) Input(id, field string) (any, bool) {
	raw, ok := g.RawInput(id, field)
	if !ok {
		return nil, false
	}
	if l, ok := parseLink(raw); ok {
		return l, true
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

// RawInput returns the compact JSON of an input exactly as it will be written.
func (g *Graph) RawInput(id, field string) (json.RawMessage, bool) {
	n, ok := g.nodes[id]
	if !ok {
		return nil, false
	}
	raw, ok := n.inputs.get(field)
	return raw, ok
}

// FindByClass returns the ids of all nodes of a class, in natural order.
func (g *Graph) FindByClass(class string) []string {
	var out []string
	for _, id := range g.IDs() {
		if g.nodes[id].class == class {
			out = append(out, id)
		}
	}
	return out
}

// FindByTitle returns the ids of all nodes whose _meta.title equals title, in
// natural order. An empty title matches nothing.
func (g *Graph) FindByTitle(title string) []string {
	if title == "" {
		return nil
	}
	var out []string
	for _, id := range g.IDs() {
		if g.nodes[id].title() == title {
			out = append(out, id)
		}
	}
	return out
}

// parseLink reports whether raw is a link ["node id", slot] with a string id and
// a non-negative integer slot.
func parseLink(raw json.RawMessage) (Link, bool) {
	if len(raw) == 0 || raw[0] != '[' {
		return Link{}, false
	}
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil || len(parts) != 2 {
		return Link{}, false
	}
	var l Link
	if len(parts[0]) == 0 || parts[0][0] != '"' || json.Unmarshal(parts[0], &l.Node) != nil {
		return Link{}, false
	}
	slot, err := strconv.Atoi(string(parts[1]))
	if err != nil || slot < 0 {
		return Link{}, false
	}
	l.Slot = slot
	return l, true
}

// LinkOf returns the link held by an input, if the input is one.
func (g *Graph) LinkOf(id, field string) (Link, bool) {
	raw, ok := g.RawInput(id, field)
	if !ok {
		return Link{}, false
	}
	return parseLink(raw)
}
