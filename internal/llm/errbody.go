package llm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxSnippet bounds how much of a foreign body goes into an error message.
const maxSnippet = 120

// errorBodyMessage extracts the message of a JSON error body. It accepts
// {"error":"text"}, {"error":{"message":"text","code":...}} and the flat
// {"object":"error","message":"text"}. ok is false when body is not a JSON
// object carrying an error.
func errorBodyMessage(body []byte) (msg string, ok bool) {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Object  string          `json:"object"`
		Message string          `json:"message"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(body), &v); err != nil {
		return "", false
	}
	if m, ok := errorMessage(v.Error); ok {
		return m, true
	}
	if v.Message != "" {
		return v.Message, true
	}
	return "", false
}

// errorMessage reads an "error" field tolerantly: a string, or an object
// with message and a code that is an int or a string. ok is false when the
// field is absent, null, empty or false.
func errorMessage(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) || bytes.Equal(raw, []byte("false")) {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == "" {
			return "", false
		}
		return s, true
	}
	var obj struct {
		Message string          `json:"message"`
		Type    string          `json:"type"`
		Code    json.RawMessage `json:"code"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return snippet(raw), true
	}
	msg := obj.Message
	if msg == "" {
		msg = obj.Type
	}
	if msg == "" {
		msg = "unspecified error"
	}
	if code := codeText(obj.Code); code != "" {
		msg = fmt.Sprintf("%s (code %s)", msg, code)
	}
	return msg, true
}

// codeText renders an error code that may be a number or a string.
func codeText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String()
	}
	return ""
}

// snippet returns a short, single-line excerpt of a foreign body: the
// <title> of an HTML page, else the text without tags, whitespace collapsed
// and cut to maxSnippet bytes.
func snippet(b []byte) string {
	s := string(b)
	lower := strings.ToLower(s)
	if i := strings.Index(lower, "<title>"); i >= 0 {
		rest := s[i+len("<title>"):]
		if j := strings.Index(strings.ToLower(rest), "</title>"); j >= 0 {
			s = rest[:j]
		}
	}
	s = strings.Join(strings.Fields(stripTags(s)), " ")
	if len(s) > maxSnippet {
		cut := maxSnippet
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// stripTags removes anything between < and >.
func stripTags(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	inTag := false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
			b.WriteByte(' ')
		case r == '>' && inTag:
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	return b.String()
}
