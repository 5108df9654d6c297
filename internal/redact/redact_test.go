package redact

import (
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	cases := []struct{ name, raw, want string }{
		{"user and password", "http://alice:s3cret@127.0.0.1:11434", "http://redacted@127.0.0.1:11434"},
		{"token as user name", "https://tok3n@api.example.org/v1", "https://redacted@api.example.org/v1"},
		{"escaped password", "postgres://app:p%40ss%2Fw@db:5432/ai4artsed?sslmode=disable", "postgres://redacted@db:5432/ai4artsed?sslmode=disable"},
		{"no user info", "http://127.0.0.1:7801", "http://127.0.0.1:7801"},
		{"empty", "", ""},
		{"unparsable", "http://alice:s3cret@host:port:9/%zz", "http://redacted@host:port:9/%zz"},
		{"unparsable without user info", "http://host/%zz", "http://host/%zz"},
		{"scheme typo", "htp//alice:s3cret@ollama:11434", "redacted@ollama:11434"},
		{"'@' in the path", "http://host/@bob/x", "http://host/@bob/x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := URL(tc.raw)
			if got != tc.want {
				t.Fatalf("URL(%q) = %q, want %q", tc.raw, got, tc.want)
			}
			for _, secret := range []string{"alice", "s3cret", "tok3n", "p%40ss", "app:"} {
				if strings.Contains(got, secret) {
					t.Fatalf("URL(%q) = %q still holds %q", tc.raw, got, secret)
				}
			}
		})
	}
}
