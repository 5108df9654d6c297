package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
)

// startRunAs posts a run as the given browser client.
func (e *testEnv) startRunAs(t *testing.T, client string, body any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", e.Server.URL+"/api/runs", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Client-ID", client)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// waitQueued waits until n LLM calls hold or wait for a slot, so the next run
// arrives after them.
func (e *testEnv) waitQueued(t *testing.T, n int) {
	t.Helper()
	q := e.App.Pipeline.Queue("ollama")
	waitFor(t, fmt.Sprintf("%d calls in the queue", n), 10*time.Second, func() bool { return q.Waiting()+q.InUse() >= n })
}

func interceptionBody(prompt string) map[string]any {
	return map[string]any{"stages": "interception", "prompt": prompt, "interception": "dada", "lang": "en"}
}

func TestQueueTenRunsThreeSlots(t *testing.T) {
	env := newEnv(t, envOptions{sim: SimSettings{TokenDelay: 60 * time.Millisecond}})
	const n = 10
	ids := make([]string, n)
	for i := range ids {
		code, out := env.startRunAs(t, fmt.Sprintf("browser-%d", i), interceptionBody(fmt.Sprintf("run number %d", i)))
		if code != http.StatusAccepted {
			t.Fatalf("run %d: %d %v", i, code, out)
		}
		ids[i] = out["run_id"].(string)
		env.waitQueued(t, i+1)
	}
	type result struct {
		evs []sseEvent
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i].evs = env.collect(t, id)
		}()
	}
	wg.Wait()

	if got := env.Ollama.MaxInFlight(); got > 3 || got < 1 {
		t.Fatalf("simulator saw %d requests in flight at most, want ≤ 3", got)
	}
	waitedRuns := 0
	for i, r := range results {
		last := r.evs[len(r.evs)-1]
		if last.Data["state"] != "done" {
			t.Fatalf("run %d ended %v", i, last.Data)
		}
		var prevPos float64 = 1e9
		var prevAt time.Time
		for _, e := range r.evs {
			if e.Type != "queue_status" {
				continue
			}
			switch e.Data["status"] {
			case "waiting":
				pos := e.Data["position"].(float64)
				if pos > prevPos {
					t.Errorf("run %d: position went up from %v to %v", i, prevPos, pos)
				}
				if msg := e.Data["message"].(string); len(msg) < 10 {
					t.Errorf("run %d: message %q", i, msg)
				}
				if !prevAt.IsZero() && e.At.Sub(prevAt) > 1200*time.Millisecond {
					t.Errorf("run %d: %v between queue_status events", i, e.At.Sub(prevAt))
				}
				prevPos, prevAt = pos, e.At
			case "acquired":
				waitedRuns++
			}
		}
	}
	if waitedRuns < n-3 {
		t.Fatalf("only %d runs waited for a slot, want at least %d", waitedRuns, n-3)
	}
	// Slots went out in arrival order: no run reached the simulator before a
	// run that arrived earlier (two slots freed together may race by a few ms).
	reqs := env.Ollama.Requests()
	if len(reqs) != n {
		t.Fatalf("simulator saw %d requests", len(reqs))
	}
	started := make([]time.Time, n)
	for _, r := range reqs {
		var i int
		if _, err := fmt.Sscanf(r.Messages[len(r.Messages)-1].Content, "run number %d", &i); err != nil {
			t.Fatal(err)
		}
		started[i] = r.Start
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if started[j].Add(30 * time.Millisecond).Before(started[i]) {
				t.Fatalf("run %d reached the simulator %v before run %d, which arrived earlier", j, started[i].Sub(started[j]), i)
			}
		}
	}
}

func TestCancelWaitingAndRunningRuns(t *testing.T) {
	env := newEnv(t, envOptions{
		sim:    SimSettings{TokenDelay: 200 * time.Millisecond},
		mutate: func(s *Settings) { s.LLMSlots = 1 },
	})
	_, a := env.startRunAs(t, "a", interceptionBody("first"))
	env.waitQueued(t, 1)
	_, b := env.startRunAs(t, "b", interceptionBody("second"))
	env.waitQueued(t, 2)
	_, c := env.startRunAs(t, "c", interceptionBody("third"))
	env.waitQueued(t, 3)
	ida, idb, idc := a["run_id"].(string), b["run_id"].(string), c["run_id"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := env.Ollama.WaitRequests(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// c waits at position 2; cancel b (position 1): b never reaches the simulator, c moves up.
	respC := env.openEvents(t, ctx, idc, "")
	defer respC.Body.Close()
	if code, _ := env.post(t, "/api/runs/"+idb+"/cancel", map[string]any{}); code != http.StatusAccepted {
		t.Fatalf("cancel waiting = %d", code)
	}
	evsB := env.collect(t, idb)
	if last := evsB[len(evsB)-1]; last.Data["state"] != "cancelled" {
		t.Fatalf("waiting run ended %v", last.Data)
	}
	// Cancel the running run a: the simulator sees it cancelled, c starts.
	cancelledAt := time.Now()
	if code, _ := env.post(t, "/api/runs/"+ida+"/cancel", map[string]any{}); code != http.StatusAccepted {
		t.Fatalf("cancel running = %d", code)
	}
	evsC := readEvents(t, respC.Body, nil)
	if last := evsC[len(evsC)-1]; last.Data["state"] != "done" {
		t.Fatalf("third run ended %v", last.Data)
	}
	var positions []float64
	for _, e := range evsC {
		if e.Type == "queue_status" && e.Data["status"] == "waiting" {
			positions = append(positions, e.Data["position"].(float64))
		}
	}
	if len(positions) == 0 || positions[0] != 2 || positions[len(positions)-1] != 1 {
		t.Fatalf("third run's positions %v, want from 2 down to 1", positions)
	}
	var reqs []ollamasim.Recorded
	waitFor(t, "the simulator to see the running request cancelled", 2*time.Second, func() bool {
		reqs = env.Ollama.Requests()
		return len(reqs) >= 1 && reqs[0].Cancelled
	})
	if len(reqs) != 2 {
		t.Fatalf("simulator saw %d requests, want 2 (the cancelled waiting run never arrives)", len(reqs))
	}
	if !reqs[0].Cancelled || reqs[0].CancelledAt.Sub(cancelledAt) > time.Second {
		t.Fatalf("running request: cancelled=%v after %v", reqs[0].Cancelled, reqs[0].CancelledAt.Sub(cancelledAt))
	}
	if reqs[1].Messages[len(reqs[1].Messages)-1].Content != "third" {
		t.Fatalf("second request to the simulator was %+v", reqs[1])
	}
}

func TestPerClientLimitAndQueueFull(t *testing.T) {
	env := newEnv(t, envOptions{
		sim:    SimSettings{FirstTokenDelay: 5 * time.Second},
		mutate: func(s *Settings) { s.LLMSlots = 1; s.QueueMax = 2; s.MaxRunsClient = 3 },
	})
	for i := 0; i < 3; i++ {
		if code, out := env.startRunAs(t, "same-browser", interceptionBody("x")); code != http.StatusAccepted {
			t.Fatalf("run %d: %d %v", i, code, out)
		}
	}
	code, out := env.startRunAs(t, "same-browser", interceptionBody("x"))
	if code != http.StatusTooManyRequests || out["error"].(map[string]any)["code"] != "too_many_runs" {
		t.Fatalf("fourth run of one client: %d %v", code, out)
	}
	// One slot busy and two waiting: the queue is full; the next run is refused at once.
	q := env.App.Pipeline.Queue("ollama")
	deadline := time.Now().Add(10 * time.Second)
	for q.Waiting() < 2 || q.InUse() < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("queue never filled: waiting %d, in use %d", q.Waiting(), q.InUse())
		}
		time.Sleep(10 * time.Millisecond)
	}
	code, out = env.startRunAs(t, "other-browser", interceptionBody("y"))
	if code != http.StatusTooManyRequests || out["error"].(map[string]any)["code"] != "queue_full" {
		t.Fatalf("run past the queue's length: %d %v", code, out)
	}
}

func TestMetricsExposeQueueRunsAndBackends(t *testing.T) {
	env := newEnv(t, envOptions{})
	id := env.startRun(t, interceptionBody("metrics please"))
	env.collect(t, id)
	want := []string{
		`ai4artsed_runs_finished_total{state="done"} 1`,
		`ai4artsed_queue_length{backend="ollama"} 0`,
		`ai4artsed_llm_slots_in_use{backend="ollama"} 0`,
		`ai4artsed_llm_slots{backend="ollama"} 3`,
		`ai4artsed_queue_wait_seconds_count{backend="ollama"} 1`,
		`ai4artsed_sse_subscribers 0`, // the SSE handler returns just after sending done
		`ai4artsed_backend_up{backend="ollama",state="up"} 1`,
		`ai4artsed_backend_up{backend="swarmui",state="up"} 1`,
		"process_resident_memory_bytes",
	}
	var missing []string
	deadline := time.Now().Add(2 * time.Second)
	for {
		resp, err := http.Get(env.Server.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		missing = missing[:0]
		for _, w := range want {
			if !strings.Contains(string(body), w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %q", missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
