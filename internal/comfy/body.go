package comfy

import (
	"bytes"
	"fmt"
	"mime"
	"regexp"
	"strings"
)

// badBody is the *StatusError for a 2xx answer whose body is not what the
// route returns.
func badBody(op string, status int, contentType, reason string, data []byte) *StatusError {
	return &StatusError{Op: op, StatusCode: status, Reason: reason + ": " + summarize(contentType, data), Body: snippet(data)}
}

// summarize describes a body without quoting it: its kind and size.
func summarize(contentType string, data []byte) string {
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

// snippet is the start of a body with credentials redacted, for the log.
func snippet(data []byte) string {
	s := string(bytes.TrimSpace(data))
	if len(s) > maxErrorBody {
		s = s[:maxErrorBody]
	}
	return redact(s)
}

// secrets matches credentials an upstream may echo: the values of fields
// named like keys or passwords (an Authorization header's scheme included),
// then any bearer or basic token left.
var secrets = []*regexp.Regexp{
	regexp.MustCompile(`(?i)((?:authorization|api[_-]?key|access[_-]?token|token|password|secret|cookie)["']?\s*[:=]\s*["']?)(?:(?:bearer|basic)\s+)?[^"'\s,;}&]+`),
	regexp.MustCompile(`(?i)\b((?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]+`),
}

// redact replaces credentials in s with [redacted].
func redact(s string) string {
	for _, re := range secrets {
		s = re.ReplaceAllString(s, "${1}[redacted]")
	}
	return s
}

// brief shortens an upstream message for an error string and redacts it.
func brief(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return redact(s)
}
