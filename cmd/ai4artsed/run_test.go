package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRunCommand runs `ai4artsed run` through the client, against a running
// test server (--server) and against its own in-process server (--demo).
func TestRunCommand(t *testing.T) {
	env := newEnv(t, envOptions{})
	cases := []struct {
		name string
		args []string
		// image checks one line of stdout.
		image func(t *testing.T, line string)
	}{
		{"against a running server", []string{"--server", env.Server.URL + "/", "--lang", "en", "--output", "sd35_large"},
			func(t *testing.T, line string) {
				if !strings.HasPrefix(line, env.Server.URL+"/api/media/") {
					t.Fatalf("stdout %q, want a media URL of the server", line)
				}
				if data, h := fetch(t, line); len(data) == 0 || !strings.HasPrefix(h.Get("Content-Type"), "image/") {
					t.Fatalf("%s: %d bytes of %s", line, len(data), h.Get("Content-Type"))
				}
			}},
		{"in-process with the simulators", []string{"--demo", "--data-dir", t.TempDir(), "--lang", "en",
			"--first-token-delay", "0s", "--token-delay", "0s", "--step-delay", "1ms", "--startup-delay", "0s"},
			func(t *testing.T, line string) {
				if st, err := os.Stat(line); err != nil || st.Size() == 0 {
					t.Fatalf("stdout %q, want an image file: %v", line, err)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			args := append(append([]string{"run"}, tc.args...), "a", "glass", "tree")
			if code := dispatch(ctx, args, nil, &stdout, &stderr, func(string) string { return "" }); code != 0 {
				t.Fatalf("exit %d\nstderr:\n%s", code, stderr.String())
			}
			for _, want := range []string{"stage 2 interception: started", "stage 2 interception: done", "stage 4 generation: done"} {
				if !strings.Contains(stderr.String(), want) {
					t.Fatalf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			lines := strings.Fields(stdout.String())
			if len(lines) == 0 {
				t.Fatalf("no image on stdout; stderr:\n%s", stderr.String())
			}
			for _, l := range lines {
				tc.image(t, l)
			}
		})
	}
}

// TestRunCommandReportsServerErrors: an unknown config is the server's
// message, and a non-zero exit.
func TestRunCommandReportsServerErrors(t *testing.T) {
	env := newEnv(t, envOptions{})
	var stdout, stderr bytes.Buffer
	code := dispatch(t.Context(), []string{"run", "--server", env.Server.URL, "--lang", "en", "--interception", "nope", "x"},
		nil, &stdout, &stderr, func(string) string { return "" })
	if code != 1 || !strings.Contains(stderr.String(), "unknown_config") || stdout.Len() != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}
