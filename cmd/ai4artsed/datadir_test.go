package main

import (
	"bufio"
	"context"
	"github.com/ai4artsed/ai4artsed/api"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestSecondServeOnTheSameDataDirChangesNothing starts a server with a run
// that waits for its first token, then a second `serve` on the same data
// dir, once on the same port and once on another. Both must fail at once
// with a clear message and leave the first server's run alone: it still
// finishes done.
func TestSecondServeOnTheSameDataDirChangesNothing(t *testing.T) {
	dir := t.TempDir()
	s := defaultSettings()
	s.DataDir, s.Addr, s.Demo = dir, "127.0.0.1:0", true
	s.Sim = SimSettings{FirstTokenDelay: 5 * time.Second, TokenDelay: time.Millisecond}
	base, stop := startServe(t, s)
	defer stop()

	// The helpers only need the base URL of this real server.
	env := &testEnv{Server: &httptest.Server{URL: base}}
	id := env.startRun(t, api.RunRequest{Stages: "interception", Prompt: "a red bicycle", Interception: "dada", Lang: "en"})
	port := base[strings.LastIndex(base, ":")+1:]
	cases := []struct{ name, addr, want string }{
		{"same port", "127.0.0.1:" + port, "address already in use"},
		{"other port", "127.0.0.1:0", "another ai4artsed server uses data dir "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var stderr strings.Builder
			start := time.Now()
			code := runServe(ctx, []string{"--demo", "--addr", tc.addr, "--data-dir", dir}, io.Discard, &stderr, func(string) string { return "" })
			if code != 1 || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("second serve: exit %d after %s, stderr %q; want exit 1 and %q", code, time.Since(start).Round(time.Millisecond), stderr.String(), tc.want)
			}
		})
	}
	if code, run := getJSON(t, base+"/api/runs/"+id); code != 200 || (run["state"] != "queued" && run["state"] != "running") {
		t.Fatalf("after the second serves the run is %d %v, want it still unfinished", code, run["state"])
	}
	evs := env.collect(t, id)
	if last := evs[len(evs)-1]; last.Type != "done" || last.Data["state"] != "done" {
		t.Fatalf("run ended with %s %v (events %v), want done", last.Type, last.Data, types(evs))
	}
}

// startServe runs serve in this process until stop is called and returns
// its base URL.
func startServe(t *testing.T, s Settings) (base string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	served := make(chan error, 1)
	go func() {
		served <- serve(ctx, s, newLogger(io.Discard), pw)
		pw.Close()
	}()
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(pr).ReadString('\n')
		line <- l
		_, _ = io.Copy(io.Discard, pr)
	}()
	stop = func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	}
	select {
	case l := <-line:
		const prefix = "ai4artsed is running at "
		if !strings.HasPrefix(l, prefix) {
			stop()
			t.Fatalf("serve printed %q", l)
		}
		return strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(l, prefix)), "/"), stop
	case err := <-served:
		cancel()
		t.Fatalf("serve ended before listening: %v", err)
	case <-time.After(30 * time.Second):
		stop()
		t.Fatal("serve did not print its address")
	}
	return "", nil
}
