package swarmsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// value is one raw JSON value of a request body.
type value json.RawMessage

// params is a decoded request body: a JSON object's members.
type params map[string]value

// parseParams decodes a request body, which must be a JSON object.
func parseParams(raw []byte) (params, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, false
	}
	p := make(params, len(m))
	for k, v := range m {
		p[k] = value(v)
	}
	return p, true
}

// String renders a value the way SwarmUI turns a JSON token into a
// parameter string: strings unquoted, numbers and booleans as written,
// arrays as their items joined with commas, null as "".
func (v value) String() string {
	raw := bytes.TrimSpace(v)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) == nil {
			parts := make([]string, len(items))
			for i, it := range items {
				parts[i] = value(it).String()
			}
			return strings.Join(parts, ",")
		}
	case 'n':
		return ""
	}
	return string(raw)
}

// apiString reads a string parameter of an API route; def is used when the
// parameter is absent, or a missing-parameter error when required.
func apiString(in params, name, def string, required bool) (string, string) {
	v, ok := in[name]
	if !ok {
		if required {
			return "", missingParam(name)
		}
		return def, ""
	}
	return v.String(), ""
}

// apiInt reads an int parameter of an API route.
func apiInt(in params, name string, def int, required bool) (int, string) {
	v, ok := in[name]
	if !ok {
		if required {
			return 0, missingParam(name)
		}
		return def, ""
	}
	n, err := strconv.ParseInt(v.String(), 10, 32)
	if err != nil {
		return 0, fmt.Sprintf("Invalid value '%s' for parameter '%s', must be type 'Int32'", v.String(), name)
	}
	return int(n), ""
}

// apiBool reads a bool parameter of an API route.
func apiBool(in params, name string, def bool) (bool, string) {
	v, ok := in[name]
	if !ok {
		return def, ""
	}
	switch s := v.String(); {
	case strings.EqualFold(s, "true"):
		return true, ""
	case strings.EqualFold(s, "false"):
		return false, ""
	default:
		return false, fmt.Sprintf("Invalid value '%s' for parameter '%s', must be type 'Boolean'", s, name)
	}
}

func missingParam(name string) string {
	return fmt.Sprintf("Missing required parameter '%s'", name)
}

// cleanTypeName reduces a T2I parameter id to lowercase letters, as
// SwarmUI's CleanTypeName does ("Negative Prompt" → "negativeprompt").
func cleanTypeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// slug turns a prompt into a file-name part: letters, digits and single
// spaces, at most 40 runes, as SwarmUI keeps prompt words in output names.
func slug(prompt string) string {
	var b strings.Builder
	n, space := 0, false
	for _, r := range prompt {
		if n >= 40 {
			break
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
				n++
			}
			space = false
			b.WriteRune(r)
			n++
		case unicode.IsSpace(r) || r == '-' || r == '_':
			space = true
		}
	}
	if b.Len() == 0 {
		return "image"
	}
	return b.String()
}
