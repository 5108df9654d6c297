package main

// End-to-end tests of the SwarmUI supervisor with real processes: the start
// command runs this test binary as `ai4artsed simulate swarmui ...` (see
// TestMain), so the supervisor launches, probes, kills and reaps a real child.

import (
	"bytes"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/supervisor"
)

// supHarness is a server whose supervisor may start a simulated SwarmUI as a
// child process on two loopback ports reserved for it.
type supHarness struct {
	env        *testEnv
	exe        string // this test binary, run as the simulator
	swarmAddr  string // where the child's SwarmUI listens
	comfyAddr  string // where the child's ComfyUI listens
	startsFile string // every start command appends its pid here
}

type supOptions struct {
	startupDelay time.Duration            // the child's --startup-delay
	command      func(*supHarness) string // SWARMUI_START_COMMAND; nil: h.launch(startupDelay)
	autoStartOff bool
	timeout      time.Duration // SWARMUI_STARTUP_TIMEOUT; 0: 20s
	backoff      time.Duration // 0: the supervisor's default (30s)
}

func newSupHarness(t *testing.T, o supOptions) *supHarness {
	t.Helper()
	addrs := freeAddrs(t, 2)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h := &supHarness{exe: exe, swarmAddr: addrs[0], comfyAddr: addrs[1], startsFile: filepath.Join(t.TempDir(), "starts")}
	if err := os.WriteFile(h.startsFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Registered before newEnv, so it runs after the server shut down.
	t.Cleanup(func() { h.killLeftovers(t) })
	command := h.launch(o.startupDelay)
	if o.command != nil {
		command = o.command(h)
	}
	if o.timeout == 0 {
		o.timeout = 20 * time.Second
	}
	configDir := smallOutputs(t)
	h.env = newEnv(t, envOptions{mutate: func(s *Settings) {
		s.ConfigDir = configDir
		s.SwarmURL, s.ComfyURL = "http://"+h.swarmAddr, "http://"+h.comfyAddr
		s.SwarmAutoStart = !o.autoStartOff
		s.SwarmStartCommand = command
		s.SwarmStartupTimeout = o.timeout
		s.SwarmHealthInterval = 100 * time.Millisecond
		s.SwarmBackoff = o.backoff
		s.SwarmStopOnExit = true
		s.MaxRunsClient = 50
	}})
	return h
}

// smallOutputs writes copies of the sd35_large and flux_dev output configs
// that ask for 256x256 images: encoding and checking twenty 1024x1024 PNGs
// under the race detector would dominate the tests' run time.
func smallOutputs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "output"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"sd35_large", "flux_dev"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "internal", "catalog", "builtin", "output", id+".json"))
		if err != nil {
			t.Fatal(err)
		}
		small := bytes.ReplaceAll(data, []byte(`"width": 1024`), []byte(`"width": 256`))
		small = bytes.ReplaceAll(small, []byte(`"height": 1024`), []byte(`"height": 256`))
		if bytes.Count(small, []byte(": 256")) != 2 {
			t.Fatalf("output %s: did not find its width and height", id)
		}
		if err := os.WriteFile(filepath.Join(dir, "output", id+".json"), small, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// freeAddrs picks n distinct loopback ports that are free now, below the
// kernel's ephemeral range (32768 and up here), so no listener that asks for
// port 0 — this test's own servers included — can be handed one of them
// before the child process binds it.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	var held []net.Listener
	defer func() {
		for _, ln := range held {
			ln.Close()
		}
	}()
	for tries := 0; len(addrs) < n; tries++ {
		if tries > 1000 {
			t.Fatal("no free loopback port below the ephemeral range")
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", 20000+mrand.IntN(12000)))
		if err != nil {
			continue
		}
		held = append(held, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// record is a shell command that appends the shell's pid to the starts file.
func (h *supHarness) record() string { return "echo $$ >> " + shellQuote(h.startsFile) }

// launch is a start command that runs this binary as the SwarmUI simulator,
// replacing the shell, so the recorded pid is the simulator's.
func (h *supHarness) launch(startupDelay time.Duration) string {
	return fmt.Sprintf("%s; echo 'launching the simulator'; %s=1 exec %s simulate swarmui --addr %s --comfy-addr %s --startup-delay %s --step-delay 0s",
		h.record(), asMainEnv, shellQuote(h.exe), h.swarmAddr, h.comfyAddr, startupDelay)
}

// pids lists the pid of every start so far.
func (h *supHarness) pids(t *testing.T) []int {
	t.Helper()
	data, err := os.ReadFile(h.startsFile)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, f := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("starts file holds %q", data)
		}
		out = append(out, pid)
	}
	return out
}

// ours reports whether pid is alive and is this harness's simulator.
func (h *supHarness) ours(pid int) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && bytes.Contains(cmdline, []byte("\x00"+h.swarmAddr+"\x00"))
}

// killLeftovers fails the test if a child outlived the server (which stops it
// on exit) and kills it by its process group.
func (h *supHarness) killLeftovers(t *testing.T) {
	for _, pid := range h.pids(t) {
		if h.ours(pid) {
			t.Errorf("simulator pid %d still runs after the server shut down", pid)
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
}

func (h *supHarness) sup() *supervisor.Supervisor { return h.env.App.Supervisor }

// backendState is the swarmui entry's state in GET /api/backends.
func (h *supHarness) backendState(t *testing.T) string {
	t.Helper()
	list, err := h.env.client("").Backends(t.Context())
	if err != nil {
		t.Fatalf("GET /api/backends: %v", err)
	}
	for _, b := range list.Backends {
		if b.Name == "swarmui" {
			return b.State
		}
	}
	t.Fatalf("no swarmui in /api/backends: %+v", list)
	return ""
}

func genBody(output string) api.RunRequest {
	return api.RunRequest{Stages: "generation", Text: "a fox made of paper lanterns", Output: output, Lang: "en"}
}

// startGen posts a generation run as client and returns its id.
func (h *supHarness) startGen(t *testing.T, client, output string) string {
	t.Helper()
	id, err := h.env.startRunAs(t, client, genBody(output))
	if err != nil {
		t.Fatalf("POST /api/runs: %v", err)
	}
	return id
}

// outcome sums up a finished run's events.
type outcome struct {
	id, log              string // the run and what the server logged about its failure
	state, code, message string
	waited               bool // a stage event said the image backend was being started
	media                int
}

func summarize(evs []sseEvent) outcome {
	var o outcome
	for _, e := range evs {
		switch e.Type {
		case "stage":
			if e.Data["detail"] == supervisor.NoteStarting {
				o.waited = true
			}
		case "media":
			o.media++
		case "error":
			o.code, _ = e.Data["code"].(string)
			o.message, _ = e.Data["message"].(string)
		case "done":
			o.state, _ = e.Data["state"].(string)
		}
	}
	return o
}

func (h *supHarness) run(t *testing.T, client, output string) outcome {
	t.Helper()
	id := h.startGen(t, client, output)
	o := summarize(h.env.collect(t, id))
	o.id, o.log = id, h.env.failureLog(id)
	return o
}

func wantSuccess(t *testing.T, what string, o outcome) {
	t.Helper()
	if o.state != "done" || o.media == 0 {
		t.Fatalf("%s: ended %q with %d media (%s: %s)", what, o.state, o.media, o.code, o.message)
	}
}

func wantFailure(t *testing.T, what string, o outcome, parts ...string) {
	t.Helper()
	if o.state != "failed" || o.code != "backend_unavailable" {
		t.Fatalf("%s: ended %q with %q: %s", what, o.state, o.code, o.message)
	}
	for _, p := range parts {
		if strings.Contains(o.message, p) {
			t.Errorf("%s: the student's message shows the detail %q:\n%s", what, p, o.message)
		}
		if !strings.Contains(o.log, p) {
			t.Errorf("%s: log lacks %q:\n%s", what, p, o.log)
		}
	}
}

func TestSupervisorStartsSwarmUIOnDemand(t *testing.T) {
	h := newSupHarness(t, supOptions{startupDelay: time.Second})
	if st := h.backendState(t); st != "down" {
		t.Fatalf("before any run the backend is %q, want down", st)
	}
	id := h.startGen(t, "a", "sd35_large")
	sawStarting := ""
	evs, err := h.env.follow(t.Context(), id, 0, func(e sseEvent) {
		if e.Type == "stage" && e.Data["detail"] == supervisor.NoteStarting {
			sawStarting = h.backendState(t)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	o := summarize(evs)
	wantSuccess(t, "run", o)
	if !o.waited || sawStarting != "starting" {
		t.Fatalf("waited=%v, backends while waiting %q; want a starting note and state starting", o.waited, sawStarting)
	}
	if st := h.backendState(t); st != "up" {
		t.Fatalf("after the run the backend is %q, want up", st)
	}
	pids := h.pids(t)
	if len(pids) != 1 || h.sup().Status().PID != pids[0] || !h.ours(pids[0]) {
		t.Fatalf("starts %v, supervisor pid %d", pids, h.sup().Status().PID)
	}
	if rec := generationRecord(t, h.env, id); rec["path"] != "swarmui_text2image" {
		t.Fatalf("record %v", rec)
	}
	// A second run uses the running backend without waiting or starting.
	if o := h.run(t, "a", "sd35_large"); o.waited || len(h.pids(t)) != 1 {
		t.Fatalf("second run waited=%v, starts %v", o.waited, h.pids(t))
	} else {
		wantSuccess(t, "second run", o)
	}
}

func TestSupervisorConcurrentRunsShareOneStart(t *testing.T) {
	h := newSupHarness(t, supOptions{startupDelay: 2 * time.Second})
	const n = 20
	ids := make([]string, n)
	for i := range ids {
		ids[i] = h.startGen(t, fmt.Sprintf("browser-%d", i), "sd35_large")
	}
	waited := 0
	for i, id := range ids {
		o := summarize(h.env.collect(t, id))
		wantSuccess(t, fmt.Sprintf("run %d", i), o)
		if o.waited {
			waited++
		}
	}
	if pids := h.pids(t); len(pids) != 1 || h.sup().Status().Starts != 1 {
		t.Fatalf("%d start commands ran (%v), supervisor counted %d; want exactly one", len(pids), pids, h.sup().Status().Starts)
	}
	// Every run joined the one start in flight (none came after it ended).
	if waited != n {
		t.Fatalf("%d of %d runs announced the start; the runs did not all overlap it", waited, n)
	}
	if st := h.backendState(t); st != "up" {
		t.Fatalf("backend %q, want up", st)
	}
}

func TestSupervisorRestartsKilledSwarmUI(t *testing.T) {
	h := newSupHarness(t, supOptions{startupDelay: 300 * time.Millisecond})
	wantSuccess(t, "first run", h.run(t, "a", "sd35_large"))
	first := h.pids(t)
	if len(first) != 1 {
		t.Fatalf("starts %v", first)
	}
	if err := syscall.Kill(-first[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the supervisor to notice the killed process", 5*time.Second, func() bool {
		return h.sup().Status().PID == 0
	})
	if st := h.backendState(t); st != "down" {
		t.Fatalf("after the kill the backend is %q, want down", st)
	}
	// The second run goes through a ComfyUI workflow, on the restarted backend.
	id := h.startGen(t, "a", "flux_dev")
	o := summarize(h.env.collect(t, id))
	wantSuccess(t, "run after the kill", o)
	if !o.waited {
		t.Fatal("the run after the kill did not announce a start")
	}
	if rec := generationRecord(t, h.env, id); rec["path"] != "comfyui_workflow" {
		t.Fatalf("record %v", rec)
	}
	pids := h.pids(t)
	if len(pids) != 2 || pids[1] == pids[0] || !h.ours(pids[1]) || h.ours(pids[0]) {
		t.Fatalf("starts %v; want a second, live process and the first one gone", pids)
	}
	if st := h.backendState(t); st != "up" {
		t.Fatalf("backend %q, want up", st)
	}
}

func TestSupervisorStartFailures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		command func(*supHarness) string
		want    []string // in the first run's message
		starts  int
		backoff bool // the second run is refused by the backoff
	}{
		{
			name:    "command fails",
			command: func(h *supHarness) string { return h.record() + "; echo 'boom: no GPU found' >&2; exit 3" },
			want:    []string{"starting SwarmUI failed", "exit status 3", "boom: no GPU found"},
			starts:  1, backoff: true,
		},
		{
			name:    "command missing",
			command: func(h *supHarness) string { return h.record() + "; /nonexistent/launch-swarmui.sh --launch_mode none" },
			want:    []string{"starting SwarmUI failed", "exit status 127", "/nonexistent/launch-swarmui.sh"},
			starts:  1, backoff: true,
		},
		{
			name:    "no command",
			command: func(*supHarness) string { return "" },
			want:    []string{"SwarmUI is not running", "SWARMUI_START_COMMAND is not set"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newSupHarness(t, supOptions{command: tc.command})
			wantFailure(t, "first run", h.run(t, "a", "sd35_large"), tc.want...)
			if got := len(h.pids(t)); got != tc.starts {
				t.Fatalf("%d starts, want %d", got, tc.starts)
			}
			second := h.run(t, "a", "sd35_large")
			if tc.backoff {
				wantFailure(t, "second run", second, "waiting before the next start attempt", "next try in", tc.want[len(tc.want)-1])
			} else {
				wantFailure(t, "second run", second, tc.want...)
			}
			if second.waited || len(h.pids(t)) != tc.starts {
				t.Fatalf("second run waited=%v, starts %v; want an immediate refusal without a new start", second.waited, h.pids(t))
			}
			if st := h.backendState(t); st != "down" {
				t.Fatalf("backend %q, want down", st)
			}
		})
	}
}

func TestSupervisorStartsAgainAfterBackoff(t *testing.T) {
	const backoff = time.Second
	h := newSupHarness(t, supOptions{backoff: backoff, startupDelay: 200 * time.Millisecond, command: func(h *supHarness) string {
		// The first start fails; later ones launch the simulator.
		return fmt.Sprintf("if [ ! -s %s ]; then %s; echo 'boom: first start' >&2; exit 3; fi; %s",
			shellQuote(h.startsFile), h.record(), h.launch(200*time.Millisecond))
	}})
	wantFailure(t, "first run", h.run(t, "a", "sd35_large"), "boom: first start")
	failedAt := time.Now()
	wantFailure(t, "run within the backoff", h.run(t, "a", "sd35_large"), "waiting before the next start attempt")
	if got := len(h.pids(t)); got != 1 {
		t.Fatalf("%d starts within the backoff, want 1", got)
	}
	select {
	case <-time.After(time.Until(failedAt.Add(backoff + 100*time.Millisecond))):
	case <-t.Context().Done():
	}
	o := h.run(t, "a", "sd35_large")
	wantSuccess(t, "run after the backoff", o)
	if !o.waited || len(h.pids(t)) != 2 {
		t.Fatalf("run after the backoff waited=%v, starts %v", o.waited, h.pids(t))
	}
}

func TestSupervisorStartupTimeout(t *testing.T) {
	const timeout = 1500 * time.Millisecond
	h := newSupHarness(t, supOptions{startupDelay: time.Minute, timeout: timeout})
	o := h.run(t, "a", "sd35_large")
	wantFailure(t, "run", o, "did not answer within "+timeout.String(), "last check: SwarmUI:", "launching the simulator")
	if !o.waited {
		t.Fatal("the run did not announce the start")
	}
	pids := h.pids(t)
	if len(pids) != 1 {
		t.Fatalf("starts %v", pids)
	}
	waitFor(t, "the timed-out process to be stopped", 5*time.Second, func() bool { return !h.ours(pids[0]) })
	if st := h.backendState(t); st != "down" {
		t.Fatalf("backend %q, want down", st)
	}
}

func TestSupervisorLeavesForeignListenerAlone(t *testing.T) {
	h := newSupHarness(t, supOptions{})
	// A program that accepts connections on SwarmUI's port and never answers.
	ln, err := net.Listen("tcp", h.swarmAddr)
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 64)
	acceptDone := make(chan struct{})
	go func() {
		defer close(acceptDone)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case accepted <- c:
			default:
				c.Close()
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-acceptDone
		close(accepted)
		for c := range accepted {
			c.Close()
		}
	})

	o := h.run(t, "a", "sd35_large")
	wantFailure(t, "run", o, "something else is listening on "+h.swarmAddr, "not touching it")
	if o.waited || len(h.pids(t)) != 0 {
		t.Fatalf("waited=%v, starts %v; want nothing started", o.waited, h.pids(t))
	}
	if len(accepted) == 0 {
		t.Fatal("the supervisor never connected to the foreign listener")
	}
	c, err := net.DialTimeout("tcp", h.swarmAddr, 2*time.Second)
	if err != nil {
		t.Fatalf("the foreign listener no longer accepts: %v", err)
	}
	c.Close()
}

func TestSupervisorAutoStartOff(t *testing.T) {
	h := newSupHarness(t, supOptions{autoStartOff: true})
	o := h.run(t, "a", "sd35_large")
	wantFailure(t, "run", o, "SwarmUI is not running", "SWARMUI_AUTO_START=false")
	if o.waited || len(h.pids(t)) != 0 {
		t.Fatalf("waited=%v, starts %v; want nothing started", o.waited, h.pids(t))
	}
}
