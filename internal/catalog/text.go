package catalog

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// Text is a user-facing text in German and English.
//
// In JSON it is either a plain string (used for both languages) or an object
// {"de": "...", "en": "..."}; it is always written as the object.
type Text struct {
	DE string `json:"de"`
	EN string `json:"en"`
}

// textObject has Text's fields without its methods, to avoid recursion.
type textObject struct {
	DE string `json:"de"`
	EN string `json:"en"`
}

// UnmarshalJSON accepts a string or an object with "de" and "en".
func (t *Text) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case bytes.Equal(data, []byte("null")):
		return nil
	case len(data) > 0 && data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		t.DE, t.EN = s, s
		return nil
	case len(data) > 0 && data[0] == '{':
		var o textObject
		if err := json.Unmarshal(data, &o); err != nil {
			return err
		}
		*t = Text(o)
		return nil
	}
	return &json.UnmarshalTypeError{Value: jsonKind(data), Type: reflect.TypeFor[Text]()}
}

// MarshalJSON writes {"de": ..., "en": ...}. It leaves HTML characters
// unescaped, so an encoder's SetEscapeHTML setting decides.
func (t Text) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(textObject(t)); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Get returns the text in lang ("de" or "en"), falling back to the other
// language when that one is empty. Any lang other than "en" reads German
// first, the project's default language.
func (t Text) Get(lang string) string {
	if lang == "en" {
		if t.EN != "" {
			return t.EN
		}
		return t.DE
	}
	if t.DE != "" {
		return t.DE
	}
	return t.EN
}

// IsZero reports whether both languages are empty.
func (t Text) IsZero() bool { return t.DE == "" && t.EN == "" }

// jsonKind names the kind of a raw JSON value for error messages.
func jsonKind(data []byte) string {
	if len(data) == 0 {
		return "nothing"
	}
	switch data[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}
