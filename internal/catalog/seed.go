package catalog

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
)

// Seed is a sampler seed: a fixed value, or random for every run.
//
// In JSON it is a non-negative integer or the string "random"; -1 (SwarmUI's
// spelling of random) is read as random too.
type Seed struct {
	Random bool
	Value  uint64
}

// UnmarshalJSON accepts a non-negative integer, -1 or "random".
func (s *Seed) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		return nil
	}
	if bytes.Equal(data, []byte(`"random"`)) || bytes.Equal(data, []byte("-1")) {
		*s = Seed{Random: true}
		return nil
	}
	if v, err := strconv.ParseUint(string(data), 10, 64); err == nil {
		*s = Seed{Value: v}
		return nil
	}
	return &json.UnmarshalTypeError{Value: jsonKind(data) + " " + string(data), Type: reflect.TypeFor[Seed]()}
}

// MarshalJSON writes "random" or the number.
func (s Seed) MarshalJSON() ([]byte, error) {
	if s.Random {
		return []byte(`"random"`), nil
	}
	return strconv.AppendUint(nil, s.Value, 10), nil
}

// String returns "random" or the decimal value.
func (s Seed) String() string {
	if s.Random {
		return "random"
	}
	return strconv.FormatUint(s.Value, 10)
}
