package redact

import (
	"bytes"
	"fmt"
	"mime"
	"regexp"
	"strings"
)

// Summary describes an upstream body without quoting it: its kind and
// size, e.g. "an HTML page of 5120 bytes". It is safe for error strings.
func Summary(contentType string, data []byte) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	trimmed := bytes.TrimSpace(data)
	kind := "a " + mt + " body"
	switch {
	case len(trimmed) == 0:
		return "an empty body"
	case mt == "text/html" || bytes.HasPrefix(bytes.ToLower(trimmed), []byte("<!doctype html")) || bytes.HasPrefix(bytes.ToLower(trimmed), []byte("<html")):
		kind = "an HTML page"
	case mt == "":
		kind = "a body without content type"
	}
	return fmt.Sprintf("%s of %d bytes", kind, len(data))
}

// Snippet is the start of a body, at most max bytes, with credentials
// replaced: for the server log only.
func Snippet(data []byte, max int) string {
	s := string(bytes.TrimSpace(data))
	if len(s) > max {
		s = s[:max]
	}
	return Secrets(s)
}

// secrets matches credentials an upstream may echo: the values of fields
// named like keys or passwords (an Authorization header's scheme included),
// then any bearer or basic token left. Read-only after package init.
var secrets = []*regexp.Regexp{
	regexp.MustCompile(`(?i)((?:authorization|api[_-]?key|access[_-]?token|token|password|secret|cookie)["']?\s*[:=]\s*["']?)(?:(?:bearer|basic)\s+)?[^"'\s,;}&]+`),
	regexp.MustCompile(`(?i)\b((?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]+`),
}

// Secrets replaces credentials in s with [redacted].
func Secrets(s string) string {
	for _, re := range secrets {
		s = re.ReplaceAllString(s, "${1}[redacted]")
	}
	return s
}

// Brief shortens an upstream message to 300 bytes for an error string and
// replaces credentials in it.
func Brief(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return Secrets(s)
}
