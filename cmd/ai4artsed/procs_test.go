package main

// Real `ai4artsed serve` processes for the end-to-end tests of rolling
// restarts and replicas (replicas_test.go): the test binary runs itself as
// the server (TestMain, asMainEnv), against simulators served by the test.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
	"github.com/ai4artsed/ai4artsed/internal/sim/swarmsim"
)

// slowModel is an LLM the Ollama simulator answers only after its
// SlowDelay: a server whose interception model it is makes runs that are
// still going when a test stops the server.
const slowModel = "slow-interception:1b"

// sims are the simulated LLM and image machines every server process of a
// test shares.
type sims struct {
	Ollama                     *ollamasim.Server
	Swarm                      *swarmsim.Server
	ollamaURL, swarmURL, cfURL string
}

// startSims serves the simulators on loopback ports until the test ends;
// slowModel waits slowDelay before its first token.
func startSims(t *testing.T, slowDelay time.Duration) *sims {
	t.Helper()
	return startSimsWith(t, ollamasim.Options{FirstTokenDelay: 20 * time.Millisecond, TokenDelay: 5 * time.Millisecond, SlowDelay: slowDelay})
}

// startSimsWith is startSims with the Ollama simulator's options (its
// models are set here).
func startSimsWith(t *testing.T, o ollamasim.Options) *sims {
	t.Helper()
	cat, _, err := catalog.Load(catalog.Builtin(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := defaultSettings()
	models := []string{slowModel}
	for _, m := range []string{s.ModelInterception, s.ModelSafety, s.ModelTranslation, s.ModelOptimization, s.ModelVision} {
		models = append(models, strings.TrimPrefix(m, "ollama/"))
	}
	o.Models = models
	out := &sims{Ollama: ollamasim.New(o)}
	ollamaSrv := httptest.NewServer(out.Ollama)
	t.Cleanup(ollamaSrv.Close)
	files, loras := cat.ModelFiles()
	out.Swarm = swarmsim.New(swarmsim.Options{
		Comfy:  comfysim.Options{StepDelay: 5 * time.Millisecond, Checkpoints: files, UNets: files, CLIPs: files, VAEs: files, LoRAs: loras},
		Models: files, LoRAs: loras,
	})
	swarmSrv := httptest.NewServer(out.Swarm)
	comfySrv := httptest.NewServer(out.Swarm.Comfy())
	t.Cleanup(func() { comfySrv.Close(); swarmSrv.Close(); out.Swarm.Close() })
	out.ollamaURL, out.swarmURL, out.cfURL = ollamaSrv.URL, swarmSrv.URL, comfySrv.URL
	return out
}

// env is the environment of a server process using the simulators, with
// extra ("KEY=value") last. Settings of the test's own environment that a
// server reads are dropped.
func (s *sims) env(t *testing.T, extra ...string) []string {
	t.Helper()
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AI4ARTSED_") || strings.HasPrefix(k, "OLLAMA_") || strings.HasPrefix(k, "SWARMUI_") ||
			strings.HasPrefix(k, "COMFYUI_") || strings.HasPrefix(k, "OPENAI_") {
			continue
		}
		out = append(out, kv)
	}
	out = append(out, asMainEnv+"=1", "OLLAMA_URL="+s.ollamaURL, "SWARMUI_URL="+s.swarmURL, "COMFYUI_URL="+s.cfURL,
		"SWARMUI_AUTO_START=false", "AI4ARTSED_CONFIG_DIR="+smallOutputs(t), "AI4ARTSED_MAX_RUNS_PER_CLIENT=50",
		"AI4ARTSED_LANGUAGE=en")
	return append(out, extra...)
}

// serveProc is one `ai4artsed serve` process.
type serveProc struct {
	Name    string
	Base    string // http://127.0.0.1:port
	DataDir string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process was reaped
	exit    error         // valid after done
}

// startServeProc starts `ai4artsed serve` on a free loopback port with its
// own data dir and env, waits until its /healthz answers 200, and kills it
// when the test ends if it still runs.
func startServeProc(t *testing.T, name string, env []string) *serveProc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := &serveProc{Name: name, DataDir: filepath.Join(dir, "data"), logPath: filepath.Join(dir, "server.log"), done: make(chan struct{})}
	logFile, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(exe, "serve", "--addr", "127.0.0.1:0", "--data-dir", p.DataDir)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = w, logFile
	err = p.cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		t.Fatal(err)
	}
	go func() { p.exit = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("log of server %s:\n%s", p.Name, p.log())
		}
	})
	line := make(chan string, 1)
	go func() {
		defer r.Close()
		br := bufio.NewReader(r)
		l, _ := br.ReadString('\n')
		line <- l
		_, _ = br.WriteTo(io.Discard)
	}()
	select {
	case l := <-line:
		const prefix = "ai4artsed is running at "
		if !strings.HasPrefix(l, prefix) {
			p.kill()
			t.Fatalf("server %s printed %q; log:\n%s", name, l, p.log())
		}
		p.Base = strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(l, prefix)), "/")
	case <-time.After(60 * time.Second):
		p.kill()
		t.Fatalf("server %s did not start; log:\n%s", name, p.log())
	}
	deadline := time.Now().Add(30 * time.Second)
	for p.health() != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("server %s: /healthz not 200 after 30 s", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

// health is the status of the process's /healthz, 0 when it does not answer.
func (p *serveProc) health() int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", p.Base+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// signal sends sig to the process.
func (p *serveProc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("signal %s to server %s: %v", sig, p.Name, err)
	}
}

// wait waits up to d for the process to end and returns its exit code.
func (p *serveProc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		t.Fatalf("server %s still runs after %s; log:\n%s", p.Name, d, p.log())
	}
	var ee *exec.ExitError
	if errors.As(p.exit, &ee) {
		return ee.ExitCode()
	}
	if p.exit != nil {
		t.Fatalf("server %s: %v", p.Name, p.exit)
	}
	return 0
}

// exited reports whether the process has ended.
func (p *serveProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill ends the process with SIGKILL (a crash) if it still runs, and reaps it.
func (p *serveProc) kill() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// log is what the process wrote to stderr.
func (p *serveProc) log() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// replicaHeader is the response header the test's load balancer adds: the
// name of the server that answered.
const replicaHeader = "X-Replica"

// seenReplicas records which server answered each request through the load
// balancer; it wraps a transport.
type seenReplicas struct {
	rt   http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (s *seenReplicas) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.rt.RoundTrip(r)
	if err == nil {
		s.mu.Lock()
		s.seen = append(s.seen, resp.Header.Get(replicaHeader))
		s.mu.Unlock()
	}
	return resp, err
}

// take returns the servers seen since the last take.
func (s *seenReplicas) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.seen
	s.seen = nil
	return out
}
