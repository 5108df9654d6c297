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
