package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/client"
	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
)

// waitQueued waits until n LLM calls hold or wait for a slot, so the next run
// arrives after them.
func (e *testEnv) waitQueued(t *testing.T, n int) {
	t.Helper()
	q := e.App.Pipeline.Queue("ollama")
	waitFor(t, fmt.Sprintf("%d calls in the queue", n), 10*time.Second, func() bool { return q.Waiting()+q.InUse() >= n })
}

func interceptionBody(prompt string) api.RunRequest {
	return api.RunRequest{Stages: "interception", Prompt: prompt, Interception: "dada", Lang: "en"}
}

func TestQueueTenRunsThreeSlots(t *testing.T) {
	env := newEnv(t, envOptions{sim: SimSettings{TokenDelay: 60 * time.Millisecond}})
	const n = 10
	ids := make([]string, n)
	for i := range ids {
		id, err := env.startRunAs(t, fmt.Sprintf("browser-%d", i), interceptionBody(fmt.Sprintf("run number %d", i)))
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		ids[i] = id
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
	ida := env.startRun(t, interceptionBody("first"))
	env.waitQueued(t, 1)
	idb := env.startRun(t, interceptionBody("second"))
	env.waitQueued(t, 2)
	idc := env.startRun(t, interceptionBody("third"))
	env.waitQueued(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := env.Ollama.WaitRequests(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// c waits at position 2; cancel b (position 1): b never reaches the simulator, c moves up.
	watching := make(chan struct{})
	type followed struct {
		evs []sseEvent
		err error
	}
	cDone := make(chan followed, 1)
	go func() {
		var once sync.Once
		evs, err := env.follow(ctx, idc, 0, func(sseEvent) { once.Do(func() { close(watching) }) })
		cDone <- followed{evs, err}
	}()
	select {
	case <-watching:
	case <-ctx.Done():
		t.Fatal("no event of the third run")
	}
	if code := env.cancel(t, idb); code != http.StatusAccepted {
		t.Fatalf("cancel waiting = %d", code)
	}
	evsB := env.collect(t, idb)
	if last := evsB[len(evsB)-1]; last.Data["state"] != "cancelled" {
		t.Fatalf("waiting run ended %v", last.Data)
	}
	// Cancel the running run a: the simulator sees it cancelled, c starts.
	cancelledAt := time.Now()
	if code := env.cancel(t, ida); code != http.StatusAccepted {
		t.Fatalf("cancel running = %d", code)
	}
	var evsC []sseEvent
	select {
	case f := <-cDone:
		if f.err != nil {
			t.Fatal(f.err)
		}
		evsC = f.evs
	case <-ctx.Done():
		t.Fatal("the third run's stream did not end")
	}
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
		if _, err := env.startRunAs(t, "same-browser", interceptionBody("x")); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	var apiErr *client.Error
	_, err := env.startRunAs(t, "same-browser", interceptionBody("x"))
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests || apiErr.Code != api.CodeTooManyRuns {
		t.Fatalf("fourth run of one client: %v", err)
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
	_, err = env.startRunAs(t, "other-browser", interceptionBody("y"))
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests || apiErr.Code != api.CodeQueueFull {
		t.Fatalf("run past the queue's length: %v", err)
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
