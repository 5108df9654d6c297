package main

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestSettingsFromEnvironment(t *testing.T) {
	env := map[string]string{
		"AI4ARTSED_ADDR":                "0.0.0.0:9000",
		"AI4ARTSED_LLM_SLOTS":           "5",
		"AI4ARTSED_SAFETY_LEVEL":        "kids",
		"OLLAMA_TIMEOUT":                "90",
		"OLLAMA_FIRST_TOKEN_TIMEOUT":    "45",
		"OLLAMA_IDLE_TIMEOUT":           "20s",
		"SWARMUI_HEALTH_CHECK_INTERVAL": "0.5",
		"SWARMUI_STARTUP_TIMEOUT":       "3m",
		"SWARMUI_AUTO_START":            "false",
		"OPENAI_API_KEY":                "sk-very-secret",
		"AI4ARTSED_DATABASE_URL":        "postgres://app:hunter2@db:5432/ai4artsed",
		"AI4ARTSED_MEDIA_DIR":           "/srv/media",
		"AI4ARTSED_SHUTDOWN_GRACE":      "90s",
		"OLLAMA_URL":                    "http://127.0.0.1:11434, http://u:pw-secret@10.0.0.2:11434",
		"AI4ARTSED_ROUTING":             "round-robin",
		"AI4ARTSED_HEALTH_INTERVAL":     "500ms",
		"AI4ARTSED_PUBLIC_URL":          "https://kunst.schule.example",
		"AI4ARTSED_LOG_LEVEL":           "debug",
	}
	s := defaultSettings()
	if err := s.loadEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if err := s.validate(); err != nil {
		t.Fatal(err)
	}
	if s.Addr != "0.0.0.0:9000" || s.LLMSlots != 5 || s.SafetyLevel != "kids" || s.OllamaTimeout != 90*time.Second ||
		s.OllamaFirstTokenTimeout != 45*time.Second || s.OllamaIdleTimeout != 20*time.Second ||
		s.SwarmHealthInterval != 500*time.Millisecond || s.SwarmStartupTimeout != 3*time.Minute || s.SwarmAutoStart ||
		s.MediaDir != "/srv/media" || s.ShutdownGrace != 90*time.Second ||
		s.Routing != "round-robin" || s.HealthInterval != 500*time.Millisecond || len(splitList(s.OllamaURL)) != 2 ||
		s.PublicURL != "https://kunst.schule.example" || s.LogLevel != slog.LevelDebug {
		t.Fatalf("settings %+v", s)
	}
	logged := fmt.Sprint(s.logAttrs()...)
	for _, secret := range []string{"sk-very-secret", "hunter2", "pw-secret"} {
		if strings.Contains(logged, secret) {
			t.Fatalf("logged settings contain a secret: %s", logged)
		}
	}
	if !strings.Contains(logged, "redacted") {
		t.Fatalf("logged settings do not say what was redacted: %s", logged)
	}
}

func TestSettingsRejectBadValues(t *testing.T) {
	cases := []struct{ key, value, want string }{
		{"AI4ARTSED_LLM_SLOTS", "zero", "AI4ARTSED_LLM_SLOTS"},
		{"AI4ARTSED_LLM_SLOTS", "0", "positive"},
		{"SWARMUI_AUTO_START", "maybe", "true or false"},
		{"OLLAMA_TIMEOUT", "soon", "seconds"},
		{"OLLAMA_FIRST_TOKEN_TIMEOUT", "later", "seconds"},
		{"OLLAMA_IDLE_TIMEOUT", "-3", "seconds"},
		{"AI4ARTSED_SAFETY_LEVEL", "lax", "kids, youth, adult or research"},
		{"AI4ARTSED_LANGUAGE", "fr", "de or en"},
		{"OLLAMA_URL", "localhost:11434", "http(s) URL"},
		{"AI4ARTSED_DATABASE_URL", "mysql://x", "postgres://"},
		{"AI4ARTSED_SHUTDOWN_GRACE", "a minute", "seconds"},
		{"AI4ARTSED_ROUTING", "random", "models or round-robin"},
		{"AI4ARTSED_HEALTH_INTERVAL", "1ms", "at least 100ms"},
		{"OLLAMA_URL", "http://127.0.0.1:11434,ftp://x", "http(s) URL"},
		{"AI4ARTSED_PUBLIC_URL", "kunst.schule.example", "AI4ARTSED_PUBLIC_URL"},
		{"AI4ARTSED_PUBLIC_URL", "https://kunst.schule.example/ai?x=1", "without a path"},
		{"AI4ARTSED_LOG_LEVEL", "verbose", "debug, info, warn or error"},
	}
	for _, tc := range cases {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			s := defaultSettings()
			err := s.loadEnv(func(k string) string {
				if k == tc.key {
					return tc.value
				}
				return ""
			})
			if err == nil {
				err = s.validate()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestServeFlagsOverrideEnvironment(t *testing.T) {
	var stdout, stderr strings.Builder
	code := runServe(t.Context(), []string{"--addr", "bad address with spaces", "--data-dir", t.TempDir()}, &stdout, &stderr,
		func(k string) string {
			if k == "AI4ARTSED_ADDR" {
				return "127.0.0.1:1"
			}
			return ""
		})
	// The flag wins: the server tries (and fails) to listen on the flag's address.
	if code != 1 || !strings.Contains(stderr.String(), "bad address with spaces") {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
}
