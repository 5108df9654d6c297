package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Binding ties a named run input (prompt, seed, width, image, ...) to one input
// field of a graph node, found by node id or by _meta.title. Default, when set,
// is used by [Graph.Apply] if the run gives no value.
type Binding struct {
	Node    string `json:"node,omitempty"`
	Title   string `json:"title,omitempty"`
	Field   string `json:"field"`
	Default any    `json:"default,omitempty"`
}

// String describes the binding for messages.
func (b Binding) String() string {
	switch {
	case b.Node != "":
		return fmt.Sprintf("node %q field %q", b.Node, b.Field)
	case b.Title != "":
		return fmt.Sprintf("title %q field %q", b.Title, b.Field)
	}
	return fmt.Sprintf("field %q", b.Field)
}

// Resolve returns the id of the node a binding points at. It fails (wrapping
// [ErrBinding]) when the binding names neither node nor title, the node does not
// exist, the title matches no node or several, both are given and disagree, the
// field is not already an input of the node, or the field holds a link (setting
// a literal there would cut the graph).
func (g *Graph) Resolve(b Binding) (string, error) {
	if b.Field == "" {
		return "", fmt.Errorf("%w: %s: no field", ErrBinding, b)
	}
	var id string
	switch {
	case b.Node != "":
		if !g.Has(b.Node) {
			return "", fmt.Errorf("%w: %s: no node %q in the graph", ErrBinding, b, b.Node)
		}
		id = b.Node
		if b.Title != "" && g.Title(id) != b.Title {
			return "", fmt.Errorf("%w: %s: node %q has title %q, not %q", ErrBinding, b, id, g.Title(id), b.Title)
		}
	case b.Title != "":
		ids := g.FindByTitle(b.Title)
		switch len(ids) {
		case 0:
			return "", fmt.Errorf("%w: %s: no node has the title %q", ErrBinding, b, b.Title)
		case 1:
			id = ids[0]
		default:
			return "", fmt.Errorf("%w: %s: title %q matches nodes %s; bind by node id", ErrBinding, b, b.Title, quoteList(ids))
		}
	default:
		return "", fmt.Errorf("%w: %s: give a node id or a title", ErrBinding, b)
	}
	raw, ok := g.RawInput(id, b.Field)
	if !ok {
		class, _ := g.ClassOf(id)
		return "", fmt.Errorf("%w: %s: node %q (%s) has no input %q (inputs: %s)", ErrBinding, b, id, class, b.Field, strings.Join(g.InputNames(id), ", "))
	}
	if l, ok := parseLink(raw); ok {
		return "", fmt.Errorf("%w: %s: input %q of node %q is a link to node %q; bind the node it reads", ErrBinding, b, b.Field, id, l.Node)
	}
	return id, nil
}

// Set writes value into the input a binding points at. value may be a string,
// bool, any integer type (uint64 keeps seeds up to 2^64-1 exact), a finite
// float, a json.Number, a json.RawMessage or a [Link]. Errors wrap [ErrBinding].
func (g *Graph) Set(b Binding, value any) error {
	id, err := g.Resolve(b)
	if err != nil {
		return err
	}
	raw, err := encodeValue(value)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBinding, b, err)
	}
	g.nodes[id].inputs.set(b.Field, raw)
	return nil
}

// CheckBindings resolves every binding (keyed by run input name) and returns
// nil or an errors.Join of one error per bad binding, sorted by name.
func (g *Graph) CheckBindings(bindings map[string]Binding) error {
	var errs []error
	for _, name := range sortedKeys(bindings) {
		if _, err := g.Resolve(bindings[name]); err != nil {
			errs = append(errs, fmt.Errorf("input %q: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// Apply sets each bound input from values, or from the binding's Default when
// values has no entry; inputs with neither keep the graph's value. It stops at
// the first error (by sorted name) and then the graph may be partly changed;
// apply to a [Graph.Clone] when that matters.
func (g *Graph) Apply(bindings map[string]Binding, values map[string]any) error {
	for _, name := range sortedKeys(bindings) {
		b := bindings[name]
		v, ok := values[name]
		if !ok {
			if b.Default == nil {
				continue
			}
			v = b.Default
		}
		if err := g.Set(b, v); err != nil {
			return fmt.Errorf("input %q: %w", name, err)
		}
	}
	return nil
}

func encodeValue(value any) (json.RawMessage, error) {
	switch v := value.(type) {
	case string:
		return quote(v), nil
	case bool:
		return strconv.AppendBool(nil, v), nil
	case int:
		return strconv.AppendInt(nil, int64(v), 10), nil
	case int8:
		return strconv.AppendInt(nil, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(nil, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(nil, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(nil, v, 10), nil
	case uint:
		return strconv.AppendUint(nil, uint64(v), 10), nil
	case uint8:
		return strconv.AppendUint(nil, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(nil, uint64(v), 10), nil
	case uint32:
		return strconv.AppendUint(nil, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(nil, v, 10), nil
	case float32:
		return encodeFloat(float64(v))
	case float64:
		return encodeFloat(v)
	case json.Number:
		if _, err := strconv.ParseFloat(string(v), 64); err != nil || !json.Valid([]byte(v)) {
			return nil, fmt.Errorf("%q is not a JSON number", string(v))
		}
		return json.RawMessage(v), nil
	case json.RawMessage:
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			return nil, fmt.Errorf("raw value: %v", err)
		}
		return buf.Bytes(), nil
	case Link:
		return v.MarshalJSON()
	case nil:
		return nil, errors.New("no value")
	}
	return nil, fmt.Errorf("unsupported value type %T", value)
}

func encodeFloat(f float64) (json.RawMessage, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%v is not a finite number", f)
	}
	return json.Marshal(f)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func quoteList(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = strconv.Quote(id)
	}
	return strings.Join(q, ", ")
}
