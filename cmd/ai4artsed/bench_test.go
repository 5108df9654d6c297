package main

// Benchmarks for issue 2: one interception run through the whole server
// against a zero-latency simulator, and the time to the first chunk through
// the server compared with calling the simulator directly. They run only with
// -bench; the figures and the command that produced them are in
// docs/benchmarks.md.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/client"
	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
)

const (
	benchPrompt       = "a red bicycle standing in the rain"
	benchInterception = "dada"
	benchLang         = "en"
)

// benchEnv is the server as `serve` builds it, against an Ollama simulator
// on loopback, with its own HTTP client for the benchmark's requests.
type benchEnv struct {
	app    *App
	url    string // our server
	simURL string // the Ollama simulator
	hc     *http.Client
	runReq api.RunRequest
	direct []byte // the /api/chat body the server sends for that run
}

func newBenchEnv(b *testing.B, sim SimSettings) *benchEnv {
	b.Helper()
	s := defaultSettings()
	s.DataDir = b.TempDir()
	s.SwarmAutoStart = false
	s.MaxRunsClient = 1 << 20
	var models []string
	for _, m := range []string{s.ModelInterception, s.ModelSafety, s.ModelTranslation, s.ModelOptimization, s.ModelVision} {
		models = append(models, strings.TrimPrefix(m, "ollama/"))
	}
	simSrv := httptest.NewServer(ollamasim.New(ollamasim.Options{
		Models: models, FirstTokenDelay: sim.FirstTokenDelay, TokenDelay: sim.TokenDelay,
		Parallel: s.LLMSlots, // as a server whose OLLAMA_NUM_PARALLEL matches our slots
	}))
	b.Cleanup(simSrv.Close)
	s.OllamaURL = simSrv.URL
	app, err := NewApp(context.Background(), s, newLogger(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(app.API)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	env := &benchEnv{app: app, url: srv.URL, simURL: simSrv.URL, hc: &http.Client{Transport: tr}}
	b.Cleanup(func() {
		env.hc.CloseIdleConnections()
		app.API.CloseStreams()
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = app.Shutdown(ctx)
	})

	env.runReq = api.RunRequest{Stages: api.StagesInterception, Prompt: benchPrompt, Interception: benchInterception, Lang: benchLang}
	ic, ok := app.Catalog.Interception(benchInterception)
	if !ok {
		b.Fatalf("no interception config %q", benchInterception)
	}
	env.direct, _ = json.Marshal(map[string]any{
		"model": strings.TrimPrefix(s.ModelInterception, "ollama/"),
		"messages": []ollamasim.Message{
			{Role: "system", Content: ic.Context.Get(benchLang)},
			{Role: "user", Content: benchPrompt},
		},
		"stream": true,
	})
	return env
}

// runTimes are one run's figures, measured from the start of the POST.
type runTimes struct {
	accepted time.Duration // the 202 answer is read
	first    time.Duration // the first chunk event is read
	events   int           // events streamed
}

// run starts one interception run and follows its events until done,
// through the client.
func (e *benchEnv) run(ctx context.Context, clientID string) (runTimes, error) {
	var rt runTimes
	start := time.Now()
	c := client.New(e.url, e.hc, client.WithClientID(clientID))
	created, err := c.StartRun(ctx, e.runReq)
	if err != nil {
		return rt, err
	}
	rt.accepted = time.Since(start)
	var done api.DoneEvent
	err = c.Follow(ctx, created.RunID, 0, func(ev api.Event) error {
		rt.events++
		switch ev.Type {
		case api.EventChunk:
			if rt.first == 0 {
				rt.first = time.Since(start)
			}
		case api.EventDone:
			return json.Unmarshal(ev.Data, &done)
		}
		return nil
	})
	switch {
	case err != nil:
		return rt, err
	case done.State != api.StateDone:
		return rt, fmt.Errorf("run ended %s", done.State)
	case rt.first == 0:
		return rt, errors.New("run ended without a chunk")
	}
	return rt, nil
}

// callDirect sends the run's chat request straight to the simulator, reads
// the NDJSON stream to its end and returns the time to the first frame with
// content.
func (e *benchEnv) callDirect(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.simURL+"/api/chat", bytes.NewReader(e.direct))
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("POST /api/chat: status %d", resp.StatusCode)
	}
	var first time.Duration
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var f struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
			Done  bool   `json:"done"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil || f.Error != "" {
			return 0, fmt.Errorf("frame %q: %v", sc.Text(), err)
		}
		if first == 0 && f.Message.Content != "" {
			first = time.Since(start)
		}
		if f.Done {
			if first == 0 {
				return 0, errors.New("stream ended without content")
			}
			return first, nil
		}
	}
	return 0, fmt.Errorf("stream ended before done: %v", sc.Err())
}

// BenchmarkInterceptionRun: one whole interception run per iteration, one at
// a time, over real HTTP against a zero-latency simulator. Allocations are
// the whole process's (server, client and simulator).
func BenchmarkInterceptionRun(b *testing.B) {
	env := newBenchEnv(b, SimSettings{})
	ctx := context.Background()
	events := 0
	b.ReportAllocs()
	for b.Loop() {
		rt, err := env.run(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		events += rt.events
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
	b.ReportMetric(float64(events)/float64(b.N), "events/run")
}

// BenchmarkInterceptionRunParallel is BenchmarkInterceptionRun with
// GOMAXPROCS clients, each with its own client id, running at once.
func BenchmarkInterceptionRunParallel(b *testing.B) {
	env := newBenchEnv(b, SimSettings{})
	ctx := context.Background()
	var clients atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		id := "bench-" + strconv.FormatInt(clients.Add(1), 10)
		for pb.Next() {
			if _, err := env.run(ctx, id); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
}

// BenchmarkTimeToFirstChunk alternates a direct call to the simulator and a
// run through the server, both with the same system and user messages, and
// reports the mean time to the first chunk of each and their ratio.
func BenchmarkTimeToFirstChunk(b *testing.B) {
	for _, delay := range []time.Duration{0, 20 * time.Millisecond} {
		b.Run("first-token-delay="+delay.String(), func(b *testing.B) {
			env := newBenchEnv(b, SimSettings{FirstTokenDelay: delay})
			ctx := context.Background()
			var accepted time.Duration
			measure := func(throughServer bool) time.Duration {
				if throughServer {
					rt, err := env.run(ctx, "bench")
					if err != nil {
						b.Fatal(err)
					}
					accepted += rt.accepted
					return rt.first
				}
				d, err := env.callDirect(ctx)
				if err != nil {
					b.Fatal(err)
				}
				return d
			}
			// One of each first, so both paths start with open connections.
			measure(false)
			measure(true)
			accepted = 0
			var direct, server time.Duration
			i := 0
			for b.Loop() {
				// Alternate the order, so neither always goes first.
				if i%2 == 0 {
					direct += measure(false)
					server += measure(true)
				} else {
					server += measure(true)
					direct += measure(false)
				}
				i++
			}
			n := float64(b.N)
			directMS := float64(direct.Microseconds()) / 1000 / n
			serverMS := float64(server.Microseconds()) / 1000 / n
			b.ReportMetric(directMS, "direct-ms")
			b.ReportMetric(serverMS, "server-ms")
			b.ReportMetric(float64(accepted.Microseconds())/1000/n, "post-ms")
			b.ReportMetric(serverMS-directMS, "overhead-ms")
			b.ReportMetric(serverMS/directMS, "ratio")
		})
	}
}
