package redact

import (
	"strings"
	"testing"
)

func TestSecretsAndSummaries(t *testing.T) {
	cases := []struct{ in, gone string }{
		{`{"headers":{"Authorization":"Bearer secret123"}}`, "secret123"},
		{"authorization: basic dXNlcjpwYXNz", "dXNlcjpwYXNz"},
		{"api_key=abc123&x=1", "abc123"},
		{`password: "hunter2"`, "hunter2"},
		{"got Bearer tok.en-1 from upstream", "tok.en-1"},
	}
	for _, tc := range cases {
		if got := Secrets(tc.in); strings.Contains(got, tc.gone) || !strings.Contains(got, "[redacted]") {
			t.Errorf("Secrets(%q) = %q", tc.in, got)
		}
	}
	if got := Summary("text/html; charset=utf-8", []byte("<html>x</html>")); got != "an HTML page of 14 bytes" {
		t.Errorf("Summary(html) = %q", got)
	}
	if got := Summary("", nil); got != "an empty body" {
		t.Errorf("Summary(empty) = %q", got)
	}
	if got := Snippet([]byte(strings.Repeat("a", 100)+" Bearer zzz"), 10); got != strings.Repeat("a", 10) {
		t.Errorf("Snippet = %q", got)
	}
	if got := Brief(strings.Repeat("x", 400)); len(got) != 303 {
		t.Errorf("Brief kept %d bytes", len(got))
	}
}
