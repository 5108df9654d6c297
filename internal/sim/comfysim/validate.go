package comfysim

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
)

// valError is one entry of ComfyUI's error lists.
type valError struct {
	Type      string         `json:"type"`
	Message   string         `json:"message"`
	Details   string         `json:"details"`
	ExtraInfo map[string]any `json:"extra_info"`
}

// nodeError is one value of a 400 answer's node_errors.
type nodeError struct {
	Errors           []valError `json:"errors"`
	DependentOutputs []string   `json:"dependent_outputs"`
	ClassType        string     `json:"class_type"`
}

// vresult is ComfyUI's (valid, reasons) tuple for one node.
type vresult struct {
	ok   bool
	errs []valError
}

// pyException stands for a Python exception escaping validate_inputs, as a
// link to a missing node (KeyError) or a bad slot (IndexError) does in ComfyUI.
type pyException struct{ typ, msg string }

type validator struct {
	s         *Server
	g         *graph
	validated map[string]vresult
}

// validation is the outcome of validate_prompt.
type validation struct {
	top        *valError // nil when at least one output is good
	outputs    []string  // good outputs
	nodeErrors map[string]*nodeError
}

// validate mirrors ComfyUI's validate_prompt.
func (s *Server) validate(g *graph, targets []string) validation {
	var outputs []string
	for _, id := range g.order {
		n := g.nodes[id]
		if !n.hasClass {
			return validation{top: &valError{Type: "invalid_prompt", Message: "Cannot execute because a node is missing the class_type property.",
				Details: fmt.Sprintf("Node ID '#%s'", id), ExtraInfo: map[string]any{}}, nodeErrors: map[string]*nodeError{}}
		}
		def := s.nodes[n.classType]
		if def == nil {
			return validation{top: &valError{Type: "invalid_prompt", Message: fmt.Sprintf("Cannot execute because node %s does not exist.", n.classType),
				Details: fmt.Sprintf("Node ID '#%s'", id), ExtraInfo: map[string]any{}}, nodeErrors: map[string]*nodeError{}}
		}
		if def.outputNode && (targets == nil || slices.Contains(targets, id)) {
			outputs = append(outputs, id)
		}
	}
	if len(outputs) == 0 {
		return validation{top: &valError{Type: "prompt_no_outputs", Message: "Prompt has no outputs", ExtraInfo: map[string]any{}},
			nodeErrors: map[string]*nodeError{}}
	}
	v := &validator{s: s, g: g, validated: map[string]vresult{}}
	res := validation{nodeErrors: map[string]*nodeError{}}
	var details []string
	for _, o := range outputs {
		r, exc := v.node(o)
		if exc != nil {
			r = vresult{errs: []valError{{Type: "exception_during_validation", Message: "Exception when validating node",
				Details: exc.msg, ExtraInfo: map[string]any{"exception_type": exc.typ, "traceback": []string{}}}}}
			v.validated[o] = r
		}
		if r.ok {
			res.outputs = append(res.outputs, o)
			continue
		}
		for _, e := range r.errs {
			details = append(details, e.Message+": "+e.Details)
		}
		ids := make([]string, 0, len(v.validated))
		for id := range v.validated {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, compareIDs)
		for _, id := range ids {
			vr := v.validated[id]
			if vr.ok || len(vr.errs) == 0 {
				continue
			}
			ne := res.nodeErrors[id]
			if ne == nil {
				ne = &nodeError{Errors: vr.errs, DependentOutputs: []string{}, ClassType: g.nodes[id].classType}
				res.nodeErrors[id] = ne
			}
			ne.DependentOutputs = append(ne.DependentOutputs, o)
		}
	}
	if len(res.outputs) == 0 {
		res.top = &valError{Type: "prompt_outputs_failed_validation", Message: "Prompt outputs failed validation",
			Details: strings.Join(details, "\n"), ExtraInfo: map[string]any{}}
	}
	return res
}

// node mirrors ComfyUI's validate_inputs for one node.
func (v *validator) node(id string) (vresult, *pyException) {
	if r, ok := v.validated[id]; ok {
		return r, nil
	}
	n := v.g.nodes[id]
	def := v.s.nodes[n.classType]
	var errs []valError
	valid := true
	for i := range def.inputs {
		spec := &def.inputs[i]
		x := spec.name
		val, present := n.inputs[x]
		if !present {
			if !spec.optional {
				errs = append(errs, valError{Type: "required_input_missing", Message: "Required input is missing",
					Details: x, ExtraInfo: map[string]any{"input_name": x}})
			}
			continue
		}
		if l, isLink := linkOf(val); isLink {
			e, exc, upstreamBad := v.linked(spec, l)
			if exc != nil {
				return vresult{}, exc
			}
			if e != nil {
				errs = append(errs, *e)
			}
			if upstreamBad {
				valid = false
			}
			continue
		}
		conv, e := v.literal(spec, val)
		if e != nil {
			errs = append(errs, *e)
			continue
		}
		n.vals[x] = conv
	}
	if def.class == "LoadImage" {
		if val, ok := n.inputs["image"]; ok {
			if _, isLink := linkOf(val); !isLink {
				name, _ := val.(string)
				if _, ok := v.s.lookupAnnotated(name); !ok {
					errs = append(errs, valError{Type: "custom_validation_failed", Message: "Custom validation failed for node",
						Details: "image - Invalid image file: " + pyStr(val), ExtraInfo: map[string]any{"input_name": "image"}})
				}
			}
		}
	}
	r := vresult{ok: valid && len(errs) == 0, errs: errs}
	if errs == nil {
		r.errs = []valError{}
	}
	v.validated[id] = r
	return r, nil
}

// linked checks a link input. It returns an error entry for this node, an
// exception escaping validation, and whether the upstream node failed.
func (v *validator) linked(spec *inputSpec, l []any) (*valError, *pyException, bool) {
	x := spec.name
	if len(l) != 2 {
		return &valError{Type: "bad_linked_input", Message: "Bad linked input, must be a length-2 list of [node_id, slot_index]",
			Details: x, ExtraInfo: map[string]any{"input_name": x, "input_config": spec.config(), "received_value": l}}, nil, false
	}
	oid, isStr := linkTarget(l)
	o := v.g.nodes[oid]
	if !isStr || o == nil {
		return nil, &pyException{typ: "KeyError", msg: pyRepr(l[0])}, false
	}
	odef := v.s.nodes[o.classType]
	slot, ok := l[1].(json.Number)
	idx, err := slot.Int64()
	if !ok || err != nil {
		return nil, &pyException{typ: "TypeError", msg: "tuple indices must be integers or slices, not " + pyTypeName(l[1])}, false
	}
	if idx < 0 {
		idx += int64(len(odef.outputs))
	}
	if idx < 0 || idx >= int64(len(odef.outputs)) {
		return nil, &pyException{typ: "IndexError", msg: "tuple index out of range"}, false
	}
	received := odef.outputs[idx]
	if !typesMatch(received, spec.kind) {
		return &valError{Type: "return_type_mismatch", Message: "Return type mismatch between linked nodes",
			Details:   fmt.Sprintf("%s, received_type(%s) mismatch input_type(%s)", x, received, spec.typeName()),
			ExtraInfo: map[string]any{"input_name": x, "input_config": spec.config(), "received_type": received, "linked_node": l}}, nil, false
	}
	r, exc := v.node(oid)
	if exc != nil {
		v.validated[oid] = vresult{errs: []valError{{Type: "exception_during_inner_validation", Message: "Exception when validating inner node",
			Details: exc.msg, ExtraInfo: map[string]any{"input_name": x, "input_config": spec.config(), "exception_message": exc.msg,
				"exception_type": exc.typ, "traceback": []string{}, "linked_node": l}}}}
		return nil, nil, true
	}
	return nil, nil, !r.ok
}

func typesMatch(received, want string) bool {
	if received == "*" || want == "*" || received == want {
		return true
	}
	return slices.Contains(strings.Split(want, ","), received)
}

// literal converts and range-checks a literal input value.
func (v *validator) literal(spec *inputSpec, val any) (any, *valError) {
	x := spec.name
	var conv any = val
	var exc string
	switch spec.kind {
	case kindInt:
		conv, exc = toPyInt(val)
	case kindFloat:
		conv, exc = toPyFloat(val)
	case kindString:
		conv = pyStr(val)
	case kindBool:
		conv = truthy(val)
	}
	if exc != "" {
		return nil, &valError{Type: "invalid_input_type", Message: fmt.Sprintf("Failed to convert an input value to a %s value", spec.kind),
			Details:   fmt.Sprintf("%s, %s, %s", x, pyStr(val), exc),
			ExtraInfo: map[string]any{"input_name": x, "input_config": spec.config(), "received_value": val, "exception_message": exc}}
	}
	bad := func(typ, word string, bound string) *valError {
		return &valError{Type: typ, Message: fmt.Sprintf("Value %s %s of %s", pyStr(conv), word, bound), Details: x,
			ExtraInfo: map[string]any{"input_name": x, "input_config": spec.config(), "received_value": jsonable(conv)}}
	}
	switch c := conv.(type) {
	case *big.Int:
		if spec.min != nil && c.Cmp(spec.min) < 0 {
			return nil, bad("value_smaller_than_min", "smaller than min", spec.min.String())
		}
		if spec.max != nil && c.Cmp(spec.max) > 0 {
			return nil, bad("value_bigger_than_max", "bigger than max", spec.max.String())
		}
	case float64:
		if spec.fmin != nil && c < *spec.fmin {
			return nil, bad("value_smaller_than_min", "smaller than min", pyFloat(*spec.fmin))
		}
		if spec.fmax != nil && c > *spec.fmax {
			return nil, bad("value_bigger_than_max", "bigger than max", pyFloat(*spec.fmax))
		}
	}
	if spec.kind == kindCombo && !spec.upload {
		s, isStr := val.(string)
		if !isStr || !slices.Contains(spec.options, s) {
			listInfo := pyStr(spec.options)
			var cfg any = spec.config()
			if len(spec.options) > 20 {
				listInfo = fmt.Sprintf("(list of length %d)", len(spec.options))
				cfg = nil
			}
			return nil, &valError{Type: "value_not_in_list", Message: "Value not in list",
				Details:   fmt.Sprintf("%s: '%s' not in %s", x, pyStr(val), listInfo),
				ExtraInfo: map[string]any{"input_name": x, "input_config": cfg, "received_value": val}}
		}
	}
	return conv, nil
}

// truthy is Python's bool() on a decoded JSON value.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case json.Number:
		f, _ := x.Float64()
		return f != 0
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// jsonable turns converted values into something encoding/json writes as a number.
func jsonable(v any) any {
	switch x := v.(type) {
	case *big.Int:
		return json.Number(x.String())
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return pyFloat(x)
		}
	}
	return v
}
