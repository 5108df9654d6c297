package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/client"
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
	// models are installed in the Ollama simulator besides the default
	// models of every role (for example judges with answer-shape markers).
	models []string
	// slowDelay is the Ollama simulator's wait of "slow" models.
	slowDelay time.Duration
	// unsafeImageWords make the simulated vision model block images.
	unsafeImageWords []string
}

func newEnv(t testing.TB, o envOptions) *testEnv {
	t.Helper()
	cat, _, err := catalog.Load(catalog.Builtin(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := defaultSettings()
	s.DataDir = t.TempDir()
	var models []string
	for _, m := range []string{s.ModelInterception, s.ModelSafety, s.ModelTranslation, s.ModelOptimization, s.ModelVision} {
		models = append(models, strings.TrimPrefix(m, "ollama/"))
	}
	models = append(models, o.models...)
	env := &testEnv{Log: &logBuffer{}}
	env.Ollama = ollamasim.New(ollamasim.Options{Models: models, FirstTokenDelay: o.sim.FirstTokenDelay, TokenDelay: o.sim.TokenDelay,
		SlowDelay: o.slowDelay, UnsafeImageWords: o.unsafeImageWords})
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
	env.start(t, s)
	return env
}

// start builds the App from s, serves it on a loopback port and shuts it
// down when the test ends.
func (e *testEnv) start(t testing.TB, s Settings) {
	t.Helper()
	if e.Log == nil {
		e.Log = &logBuffer{}
	}
	app, err := NewApp(context.Background(), s, newLogger(e.Log))
	if err != nil {
		t.Fatal(err)
	}
	e.App = app
	e.Server = httptest.NewServer(app.API)
	t.Cleanup(func() {
		app.API.CloseStreams()
		e.Server.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = app.Shutdown(ctx)
	})
}

// client is a client of the test server, as browser clientID ("": none).
func (e *testEnv) client(clientID string) *client.Client {
	var opts []client.Option
	if clientID != "" {
		opts = append(opts, client.WithClientID(clientID))
	}
	return client.New(e.Server.URL, e.Server.Client(), opts...)
}

// startRun starts a run and returns its id.
func (e *testEnv) startRun(t testing.TB, req api.RunRequest) string {
	t.Helper()
	id, err := e.startRunAs(t, "", req)
	if err != nil {
		t.Fatalf("POST /api/runs: %v", err)
	}
	return id
}

// startRunAs starts a run as the given browser client.
func (e *testEnv) startRunAs(t testing.TB, clientID string, req api.RunRequest) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	created, err := e.client(clientID).StartRun(ctx, req)
	if err != nil {
		return "", err
	}
	return created.RunID, nil
}

// cancel cancels a run and returns the answer's status.
func (e *testEnv) cancel(t *testing.T, runID string) int {
	t.Helper()
	_, err := e.client("").Cancel(context.Background(), runID)
	return status(t, err, http.StatusAccepted)
}

// status is the HTTP status of a client call's error, ok when it succeeded.
func status(t *testing.T, err error, ok int) int {
	t.Helper()
	if err == nil {
		return ok
	}
	s := client.StatusOf(err)
	if s == 0 {
		t.Fatalf("no status: %v", err)
	}
	return s
}

// sseEvent is an event as a test reads it: the event, a map view of its
// data, and when it arrived.
type sseEvent struct {
	ID    int64
	Type  string
	Data  map[string]any
	Raw   string
	At    time.Time
	Event api.Event
}

// follow reads a run's events after seq after until done through the
// client, calling each (if set) as they arrive.
func (e *testEnv) follow(ctx context.Context, runID string, after int64, each func(sseEvent)) ([]sseEvent, error) {
	var out []sseEvent
	err := e.client("").Follow(ctx, runID, after, func(ev api.Event) error {
		se := sseEvent{ID: ev.Seq, Type: string(ev.Type), Raw: string(ev.Data), At: time.Now(), Event: ev}
		if err := json.Unmarshal(ev.Data, &se.Data); err != nil {
			return fmt.Errorf("event %s: data is not JSON: %w", ev.Type, err)
		}
		out = append(out, se)
		if each != nil {
			each(se)
		}
		return nil
	})
	return out, err
}

// collect reads a whole run's events.
func (e *testEnv) collect(t testing.TB, runID string) []sseEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	evs, err := e.follow(ctx, runID, 0, nil)
	if err != nil {
		t.Fatalf("events of run %s: %v", runID, err)
	}
	return evs
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
