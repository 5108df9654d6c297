package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// withCreds puts user info into an http URL, as an operator might.
func withCreds(u string) string { return strings.Replace(u, "http://", "http://alice:s3cret@", 1) }

func holdsCreds(s string) bool { return strings.Contains(s, "alice") || strings.Contains(s, "s3cret") }

// TestStartLogHidesURLCredentials logs the settings the way serve does and
// checks every URL setting for its user info.
func TestStartLogHidesURLCredentials(t *testing.T) {
	cases := []struct{ key, value, logged string }{
		{"OLLAMA_URL", "http://alice:s3cret@ollama:11434", "ollama_url=http://redacted@ollama:11434"},
		{"SWARMUI_URL", "http://alice:s3cret@swarm:7801", "swarmui_url=http://redacted@swarm:7801"},
		{"COMFYUI_URL", "http://alice@comfy:7821", "comfyui_url=http://redacted@comfy:7821"},
		{"OPENAI_BASE_URL", "https://alice:s3cret@llm.example/v1", "openai_base_url=https://redacted@llm.example/v1"},
		{"AI4ARTSED_DATABASE_URL", "postgres://alice:s3cret@db/ai4artsed", "database=postgres://redacted@db/ai4artsed"},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			s := defaultSettings()
			if err := s.loadEnv(func(k string) string {
				if k == tc.key {
					return tc.value
				}
				return ""
			}); err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			newLogger(&out).Info("settings", s.logAttrs()...)
			if holdsCreds(out.String()) || !strings.Contains(out.String(), tc.logged) {
				t.Fatalf("start log %q, want %q and no credentials", out.String(), tc.logged)
			}
		})
	}
	s := defaultSettings()
	s.OllamaURL = "htp//alice:s3cret@ollama:11434"
	if err := s.validate(); err == nil || holdsCreds(err.Error()) {
		t.Fatalf("validate: %v, want an error without the credentials", err)
	}
}

// TestBackendsHideURLCredentials asks the unauthenticated GET /api/backends
// about backends whose URLs carry credentials, both up and not reachable.
func TestBackendsHideURLCredentials(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	cases := []struct {
		name   string
		mutate func(*Settings)
		state  string
	}{
		{"up", func(s *Settings) {
			s.OllamaURL, s.SwarmURL, s.ComfyURL = withCreds(s.OllamaURL), withCreds(s.SwarmURL), withCreds(s.ComfyURL)
			s.OpenAIBaseURL = "https://alice:s3cret@llm.example/v1"
		}, "up"},
		{"not reachable", func(s *Settings) {
			s.OllamaURL, s.SwarmURL, s.ComfyURL = withCreds(closed), withCreds(closed), withCreds(closed)
		}, "down"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, envOptions{mutate: tc.mutate})
			resp, err := http.Get(env.Server.URL + "/api/backends")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || holdsCreds(string(body)) {
				t.Fatalf("GET /api/backends = %d %s, want 200 without credentials", resp.StatusCode, body)
			}
			if !strings.Contains(string(body), `"url":"http://redacted@`) || !strings.Contains(string(body), `"state":"`+tc.state+`"`) {
				t.Fatalf("GET /api/backends = %s, want redacted URLs of backends that are %s", body, tc.state)
			}
		})
	}
}
