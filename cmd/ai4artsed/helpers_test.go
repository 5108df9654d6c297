package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
	"github.com/ai4artsed/ai4artsed/internal/sim/swarmsim"
)

// logBuffer collects a server's log for tests; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the log lines that contain every one of parts.
func (b *logBuffer) lines(parts ...string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for line := range strings.SplitSeq(b.buf.String(), "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok && line != "" {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// testEnv is a server built like `serve`, against simulators on loopback.
type testEnv struct {
	Log    *logBuffer // the server's log
	App    *App
	Server *httptest.Server
	Ollama *ollamasim.Server
	Swarm  *swarmsim.Server
	Comfy  *httptest.Server
}

type envOptions struct {
	sim    SimSettings
	mutate func(*Settings)
}

func newEnv(t *testing.T, o envOptions) *testEnv {
	t.Helper()
	cat, _, err := catalog.Load(catalog.Builtin(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := defaultSettings()
	s.DataDir = t.TempDir()
	var models []string
	for _, m := range []string{s.ModelInterception, s.ModelSafety, s.ModelTranslation, s.ModelOptimization} {
		models = append(models, strings.TrimPrefix(m, "ollama/"))
	}
	env := &testEnv{Log: &logBuffer{}}
	env.Ollama = ollamasim.New(ollamasim.Options{Models: models, FirstTokenDelay: o.sim.FirstTokenDelay, TokenDelay: o.sim.TokenDelay})
	ollamaSrv := httptest.NewServer(env.Ollama)
	t.Cleanup(ollamaSrv.Close)
	files, loras := cat.ModelFiles()
	env.Swarm = swarmsim.New(swarmsim.Options{
		Comfy:  comfysim.Options{StepDelay: o.sim.StepDelay, Checkpoints: files, UNets: files, CLIPs: files, VAEs: files, LoRAs: loras},
		Models: files, LoRAs: loras,
	})
	swarmSrv := httptest.NewServer(env.Swarm)
	env.Comfy = httptest.NewServer(env.Swarm.Comfy())
	t.Cleanup(func() { env.Comfy.Close(); swarmSrv.Close(); env.Swarm.Close() })
	s.OllamaURL, s.SwarmURL, s.ComfyURL = ollamaSrv.URL, swarmSrv.URL, env.Comfy.URL
	s.SwarmAutoStart = false
	if o.mutate != nil {
		o.mutate(&s)
	}
	app, err := NewApp(context.Background(), s, newLogger(env.Log))
	if err != nil {
		t.Fatal(err)
	}
	env.App = app
	env.Server = httptest.NewServer(app.API)
	t.Cleanup(func() {
		app.API.CloseStreams()
		env.Server.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = app.Shutdown(ctx)
	})
	return env
}

// post sends JSON and decodes the JSON answer.
func (e *testEnv) post(t *testing.T, path string, body any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	resp, err := http.Post(e.Server.URL+path, "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// startRun posts a run and returns its id.
func (e *testEnv) startRun(t *testing.T, body any) string {
	t.Helper()
	code, out := e.post(t, "/api/runs", body)
	if code != http.StatusAccepted {
		t.Fatalf("POST /api/runs = %d %v", code, out)
	}
	return out["run_id"].(string)
}

type sseEvent struct {
	ID   int64
	Type string
	Data map[string]any
	Raw  string
	At   time.Time
}

// openEvents opens the run's SSE stream, optionally after lastID (-1: none).
func (e *testEnv) openEvents(t *testing.T, ctx context.Context, runID string, lastID string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.Server.URL+"/api/runs/"+runID+"/events", nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// readEvents reads SSE events until done (or the stream ends), calling each
// (if set) as they arrive.
func readEvents(t *testing.T, body io.Reader, each func(sseEvent)) []sseEvent {
	t.Helper()
	var out []sseEvent
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var cur sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.Type == "" {
				continue
			}
			cur.At = time.Now()
			out = append(out, cur)
			if each != nil {
				each(cur)
			}
			if cur.Type == "done" {
				return out
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			cur.ID, _ = strconv.ParseInt(line[4:], 10, 64)
		case strings.HasPrefix(line, "event: "):
			cur.Type = line[7:]
		case strings.HasPrefix(line, "data: "):
			cur.Raw = line[6:]
			if err := json.Unmarshal([]byte(cur.Raw), &cur.Data); err != nil {
				t.Errorf("event %s: data is not JSON: %v", cur.Type, err)
			}
		}
	}
	return out
}

// collect reads a whole run's events.
func (e *testEnv) collect(t *testing.T, runID string) []sseEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp := e.openEvents(t, ctx, runID, "")
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("events: status %d", resp.StatusCode)
	}
	return readEvents(t, resp.Body, nil)
}

func types(evs []sseEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

// failureLog is what the server logged about run id's failure: the detail
// the student's message leaves out.
func (e *testEnv) failureLog(id string) string {
	return e.Log.lines("run failed", "run="+id)
}
