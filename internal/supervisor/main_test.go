package supervisor

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The test binary doubles as a fake SwarmUI: started with this variable set,
// TestMain serves the two health endpoints instead of running tests.
const childEnv = "SUPERVISOR_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runFakeBackend())
	}
	goleak.VerifyTestMain(m)
}

// runFakeBackend appends its pid to CHILD_COUNTER, prints a line, waits
// CHILD_DELAY, then serves SwarmUI's GetNewSession on CHILD_SWARM and
// ComfyUI's system_stats on CHILD_COMFY until SIGTERM.
func runFakeBackend() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	fmt.Printf("fake swarmui pid %d starting\n", os.Getpid())
	if path := os.Getenv("CHILD_COUNTER"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "counter:", err)
			return 1
		}
		fmt.Fprintln(f, os.Getpid())
		f.Close()
	}
	delay, _ := time.ParseDuration(os.Getenv("CHILD_DELAY"))
	select {
	case <-time.After(delay):
	case <-ctx.Done():
		fmt.Println("terminated while starting")
		return 0
	}

	swarm := http.NewServeMux()
	swarm.HandleFunc("POST /API/GetNewSession", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Content-Type") != "application/json" || r.ContentLength <= 0 {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error_id":"basic_api","error":"Wrong content type"}`)
			return
		}
		fmt.Fprint(w, `{"session_id":"5f1c0ffee","user_id":"local","output_append_user":true,"version":"0.9.6","server_id":"x","permissions":[]}`)
	})
	comfy := http.NewServeMux()
	comfy.HandleFunc("GET /system_stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"system":{"os":"posix","comfyui_version":"0.3.40"},"devices":[]}`)
	})
	var servers []*http.Server
	for _, b := range []struct {
		env string
		h   http.Handler
	}{{"CHILD_SWARM", swarm}, {"CHILD_COMFY", comfy}} {
		ln, err := net.Listen("tcp", os.Getenv(b.env))
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			return 1
		}
		srv := &http.Server{Handler: b.h}
		servers = append(servers, srv)
		go srv.Serve(ln)
	}
	fmt.Println("SwarmUI v0.9.6 - fake is now running.")
	<-ctx.Done()
	for _, srv := range servers {
		srv.Close()
	}
	return 0
}

// fixture is a pair of free loopback ports, a counter file and a start
// command that runs the fake backend on them.
type fixture struct {
	swarmAddr, comfyAddr string
	counter              string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		swarmAddr: freeAddr(t),
		comfyAddr: freeAddr(t),
		counter:   filepath.Join(t.TempDir(), "starts"),
	}
	// Runs after the supervisor's Close (cleanups are LIFO): never leave a
	// child behind, whatever the test did.
	t.Cleanup(func() {
		for _, pid := range f.pids(t) {
			pgid, err := syscall.Getpgid(pid)
			if err != nil || pgid == syscall.Getpgrp() {
				continue
			}
			if syscall.Kill(-pgid, syscall.SIGKILL) == nil {
				var ws syscall.WaitStatus
				_, _ = syscall.Wait4(pgid, &ws, 0, nil) // the leader is our child
			}
		}
	})
	return f
}

// command returns a start command that execs the fake backend (so the
// supervisor's pid is the fake's pid) after delay.
func (f *fixture) command(t *testing.T, delay time.Duration) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// GORACE: a -race child would otherwise sleep 1s before exiting.
	return fmt.Sprintf("exec env GORACE=atexit_sleep_ms=0 %s=1 CHILD_SWARM=%s CHILD_COMFY=%s CHILD_COUNTER=%s CHILD_DELAY=%s %s",
		childEnv, f.swarmAddr, f.comfyAddr, shellQuote(f.counter), delay, shellQuote(exe))
}

// config is a Config with test-sized timings for this fixture.
func (f *fixture) config(t *testing.T, command string) Config {
	return Config{
		SwarmURL:       "http://" + f.swarmAddr,
		ComfyURL:       "http://" + f.comfyAddr,
		AutoStart:      true,
		StartCommand:   command,
		StartupTimeout: 5 * time.Second,
		Interval:       20 * time.Millisecond,
		ProbeTimeout:   300 * time.Millisecond,
		Backoff:        time.Minute,
		Logger:         slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
}

// pids lists the pids the fake backends wrote to the counter file.
func (f *fixture) pids(t *testing.T) []int {
	t.Helper()
	file, err := os.Open(f.counter)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var pids []int
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		pid, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
		if err != nil {
			t.Fatalf("counter line %q: %v", sc.Text(), err)
		}
		pids = append(pids, pid)
	}
	return pids
}

// newSupervisor builds a Supervisor closed at the end of the test.
func newSupervisor(t *testing.T, cfg Config) *Supervisor {
	t.Helper()
	s := New(cfg)
	s.killGrace = 500 * time.Millisecond
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// freeAddr returns a loopback address whose port was free a moment ago. The
// port lies below the kernel's ephemeral range, so no listener asking for
// port 0 can take it before the child binds it.
func freeAddr(t *testing.T) string {
	t.Helper()
	for range 1000 {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", 20000+mrand.IntN(12000)))
		if err != nil {
			continue
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}
	t.Fatal("no free loopback port below the ephemeral range")
	return ""
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// alive reports whether pid exists (a zombie counts as alive).
func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// waitUntil polls cond until it holds or timeout passes.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out after %s waiting until %s", timeout, what)
		case <-tick.C:
		}
	}
}

// jsonOK writes v as a 200 JSON answer.
func jsonOK(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
