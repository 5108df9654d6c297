package llm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestOllamaModels(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   []string
		err    error
	}{
		{name: "list", status: 200, want: []string{"llama3.2:3b", "mistral:latest"},
			body: `{"models":[{"name":"llama3.2:3b","model":"llama3.2:3b","modified_at":"2025-05-01T10:00:00Z","size":2019393189,"digest":"a80c4f17","details":{"format":"gguf","family":"llama"}},{"name":"mistral:latest","model":"mistral:latest","size":1}]}`},
		{name: "empty", status: 200, body: `{"models":[]}`, want: []string{}},
		{name: "html", status: 200, body: `<html>hi</html>`, err: ErrBadResponse},
		{name: "proxy error", status: 502, body: `<html><title>Bad Gateway</title></html>`, err: ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != "/api/tags" {
					w.WriteHeader(http.StatusNotFound)
					return
				}
				w.WriteHeader(tt.status)
				write(w, tt.body)
			})
			got, err := NewOllama(srv.URL, nil, time.Second).Models(context.Background())
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("Models = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	_, err := NewOllama(closedAddr(t), nil, time.Second).Models(context.Background())
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("closed port: err = %v, want ErrUnavailable", err)
	}
}

func TestOllamaMissingAndVersion(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/tags":
			write(w, `{"models":[{"name":"llama3.2:3b"},{"name":"mistral:latest"},{"name":"me/art:v2"}]}`)
		case "/api/version":
			write(w, `{"version":"0.12.6"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
	c := NewOllama(srv.URL, nil, time.Second)
	tests := []struct {
		want    []string
		missing string
	}{
		{[]string{"llama3.2:3b", "mistral", "mistral:latest", "me/art:v2"}, ""},
		{[]string{"llama3.2", "gemma:2b", "me/art"}, "llama3.2,gemma:2b,me/art"},
	}
	for _, tt := range tests {
		got, err := c.Missing(context.Background(), tt.want)
		if err != nil || strings.Join(got, ",") != tt.missing {
			t.Errorf("Missing(%q) = %q, %v; want %q", tt.want, got, err, tt.missing)
		}
	}
	if v, err := c.Version(context.Background()); v != "0.12.6" || err != nil {
		t.Errorf("Version = %q, %v", v, err)
	}
	if _, err := NewOllama(closedAddr(t), nil, time.Second).Version(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("closed port: err = %v, want ErrUnavailable", err)
	}
}
