package comfysim

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// pyStr formats a decoded JSON value the way Python's str() would.
func pyStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return pyFloat(x)
	case *big.Int:
		return x.String()
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []string:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		return "{...}"
	}
	return ""
}

// pyRepr formats a value the way Python's repr() would.
func pyRepr(v any) string {
	if s, ok := v.(string); ok {
		if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
			return `"` + s + `"`
		}
		return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
	}
	return pyStr(v)
}

// pyFloat formats a float like Python's repr (1.0, 0.5, 1e-05, inf).
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == math.Trunc(f) && math.Abs(f) < 1e16:
		return strconv.FormatFloat(f, 'f', 1, 64)
	case math.Abs(f) >= 1e-4 && math.Abs(f) < 1e16:
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	sign := exp[0]
	exp = strings.TrimLeft(exp[1:], "0")
	if len(exp) < 2 {
		exp = strings.Repeat("0", 2-len(exp)) + exp
	}
	return mant + "e" + string(sign) + exp
}

// pyTypeName is the Python type name of a decoded JSON value.
func pyTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case map[string]any:
		return "dict"
	case []any:
		return "list"
	case bool:
		return "bool"
	case string:
		return "str"
	}
	return "float"
}

// toPyInt converts like Python's int(); the string is the exception text.
func toPyInt(v any) (*big.Int, string) {
	switch x := v.(type) {
	case json.Number:
		if n, ok := new(big.Int).SetString(x.String(), 10); ok {
			return n, ""
		}
		f, _ := strconv.ParseFloat(x.String(), 64)
		return floatToInt(f)
	case float64:
		return floatToInt(x)
	case bool:
		if x {
			return big.NewInt(1), ""
		}
		return big.NewInt(0), ""
	case string:
		s := strings.ReplaceAll(strings.TrimSpace(x), "_", "")
		if n, ok := new(big.Int).SetString(s, 10); ok && s != "" {
			return n, ""
		}
		return nil, "invalid literal for int() with base 10: " + pyRepr(x)
	}
	return nil, "int() argument must be a string, a bytes-like object or a real number, not '" + pyTypeName(v) + "'"
}

func floatToInt(f float64) (*big.Int, string) {
	if math.IsNaN(f) {
		return nil, "cannot convert float NaN to integer"
	}
	if math.IsInf(f, 0) {
		return nil, "cannot convert float infinity to integer"
	}
	n, _ := big.NewFloat(math.Trunc(f)).Int(nil)
	return n, ""
}

// toPyFloat converts like Python's float(); the string is the exception text.
func toPyFloat(v any) (float64, string) {
	switch x := v.(type) {
	case json.Number:
		f, _ := strconv.ParseFloat(x.String(), 64)
		return f, ""
	case bool:
		if x {
			return 1, ""
		}
		return 0, ""
	case string:
		s := strings.ReplaceAll(strings.TrimSpace(x), "_", "")
		if f, err := strconv.ParseFloat(s, 64); err == nil || isRangeErr(err) {
			return f, ""
		}
		return 0, "could not convert string to float: " + pyRepr(x)
	}
	return 0, "float() argument must be a string or a real number, not '" + pyTypeName(v) + "'"
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
