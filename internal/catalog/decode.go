package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// decodeFile decodes data into v (a pointer to a file struct) and records a
// problem for bad JSON, for a value of the wrong type, and (as a warning) for
// every field v's type does not know.
func decodeFile(ps *problems, data []byte, v any) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if err := json.Unmarshal(data, v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			line, col := position(data, syn.Offset)
			ps.errorf("", "invalid JSON at line %d, column %d: %v", line, col, syn)
		case errors.As(err, &typ):
			ps.errorf(typ.Field, "got a JSON %s, want %s", typ.Value, describeType(typ.Type))
		default:
			ps.errorf("", "invalid JSON: %v", err)
		}
		return false
	}
	var raw any
	if err := json.Unmarshal(data, &raw); err == nil {
		for _, f := range unknownFields(raw, reflect.TypeOf(v), "") {
			ps.warnf(f, "unknown field (ignored)")
		}
	}
	return true
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n') - 1
	return line, max(col, 1)
}

// describeType says in words what JSON a Go type wants.
func describeType(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Text]():
		return `a string or an object {"de", "en"}`
	case reflect.TypeFor[Seed]():
		return `a non-negative integer or "random"`
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return describeType(t.Elem())
	}
	return t.String()
}

// unknownFields walks a decoded JSON value alongside the Go type it was
// decoded into and returns the paths of object keys the type has no field for.
// json.RawMessage and interface types accept anything.
func unknownFields(v any, t reflect.Type, path string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[json.RawMessage]() {
		return nil
	}
	var out []string
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(m) {
			ft, ok := fields[strings.ToLower(k)]
			if !ok {
				out = append(out, joinPath(path, k))
				continue
			}
			out = append(out, unknownFields(m[k], ft, joinPath(path, k))...)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		for _, k := range sortedKeys(m) {
			out = append(out, unknownFields(m[k], t.Elem(), joinPath(path, k))...)
		}
	case reflect.Slice, reflect.Array:
		a, ok := v.([]any)
		if !ok {
			return nil
		}
		for i, e := range a {
			out = append(out, unknownFields(e, t.Elem(), path+"["+strconv.Itoa(i)+"]")...)
		}
	}
	return out
}

// jsonFields maps the lower-cased JSON names of t's fields to their types,
// matching encoding/json's case-insensitive decoding.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[strings.ToLower(name)] = f.Type
	}
	return fields
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// indexPath returns "field[i]".
func indexPath(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }
