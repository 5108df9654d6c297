package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/client"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/sqlite"
)

// waitHealth polls p's /healthz until it answers want, for up to d.
func waitHealth(t *testing.T, p *serveProc, want int, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got := p.health()
		if got == want {
			return time.Since(start)
		}
		if time.Since(start) > d {
			t.Fatalf("server %s: /healthz %d after %s, want %d", p.Name, got, d, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitState polls run id through c until it is in state st.
func waitState(t *testing.T, c *client.Client, id string, st api.RunState) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		run, err := c.Run(t.Context(), id)
		if err == nil && run.State == st {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s not %s after 20 s (last %v, %v)", id, st, run, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wantShuttingDown checks that err is a 503 shutting_down answer.
func wantShuttingDown(t *testing.T, what string, err error) {
	t.Helper()
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusServiceUnavailable || ce.Code != api.CodeShuttingDown {
		t.Fatalf("%s: %v, want 503 shutting_down", what, err)
	}
}

// followAll follows run id through c in the background; the channel gets
// its events once done arrived or following failed.
func followAll(c *client.Client, id string) <-chan followResult {
	out := make(chan followResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var r followResult
		r.err = c.Follow(ctx, id, 0, func(ev api.Event) error {
			r.events = append(r.events, ev)
			return nil
		})
		out <- r
	}()
	return out
}

type followResult struct {
	events []api.Event
	err    error
}

// doneState returns the state of the done event that ends evs, "" if none.
func doneState(evs []api.Event) api.RunState {
	if len(evs) == 0 {
		return ""
	}
	p, err := evs[len(evs)-1].Decode()
	if d, ok := p.(api.DoneEvent); err == nil && ok {
		return d.State
	}
	return ""
}

// TestGracefulStopDrainsRuns stops a real `serve` process with SIGTERM
// while a slow run is in flight: /healthz turns to 503 at once, a new run is
// refused with 503 shutting_down, the run in flight still finishes done and
// its stream reaches done, and the process then exits 0, well inside the
// grace period.
func TestGracefulStopDrainsRuns(t *testing.T) {
	const slow = 2 * time.Second
	sims := startSims(t, slow)
	p := startServeProc(t, "solo", sims.env(t, "AI4ARTSED_MODEL_INTERCEPTION=ollama/"+slowModel, "AI4ARTSED_SHUTDOWN_GRACE=40s"))
	c := client.New(p.Base, nil, client.WithClientID("drain"), client.WithLanguage("en"))
	created, err := c.StartRun(t.Context(), api.RunRequest{Stages: api.StagesInterception, Prompt: "a lighthouse in fog", Interception: "dada", Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	followed := followAll(c, created.RunID)
	waitState(t, c, created.RunID, api.StateRunning)

	stopped := time.Now()
	p.signal(t, syscall.SIGTERM)
	took503 := waitHealth(t, p, http.StatusServiceUnavailable, 2*time.Second)
	if took503 > time.Second {
		t.Errorf("/healthz turned to 503 only after %s", took503)
	}
	_, err = c.StartRun(t.Context(), api.RunRequest{Stages: api.StagesInterception, Prompt: "another one", Interception: "dada", Lang: "en"})
	wantShuttingDown(t, "a new run while draining", err)
	if run, err := c.Run(t.Context(), created.RunID); err != nil || run.State.Final() {
		t.Fatalf("while draining the run is %v (%v), want it still in flight", run, err)
	}

	r := <-followed
	runDone := time.Now()
	if r.err != nil || doneState(r.events) != api.StateDone {
		t.Fatalf("the run in flight: %v, ended %q; want done (events %v)", r.err, doneState(r.events), eventTypes(r.events))
	}
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit %d after a graceful stop", code)
	}
	t.Logf("SIGTERM to /healthz 503: %s; SIGTERM to the run's done: %s; done to exit: %s",
		took503.Round(time.Millisecond), runDone.Sub(stopped).Round(time.Millisecond), time.Since(runDone).Round(time.Millisecond))
	if took := time.Since(stopped); took > 20*time.Second {
		t.Errorf("the process took %s to stop after its only run ended", took)
	}
	if !strings.Contains(p.log(), "draining: every run finished") {
		t.Errorf("the log does not say the runs finished:\n%s", p.log())
	}
}

// TestSecondSignalEndsTheGrace sends SIGTERM twice: the second one ends
// the grace period at once, and the run in flight is stored as interrupted.
func TestSecondSignalEndsTheGrace(t *testing.T) {
	sims := startSims(t, 30*time.Second)
	p := startServeProc(t, "solo", sims.env(t, "AI4ARTSED_MODEL_INTERCEPTION=ollama/"+slowModel, "AI4ARTSED_SHUTDOWN_GRACE=60s"))
	c := client.New(p.Base, nil, client.WithClientID("hurry"), client.WithLanguage("en"))
	created, err := c.StartRun(t.Context(), api.RunRequest{Stages: api.StagesInterception, Prompt: "a lighthouse in fog", Interception: "dada", Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, c, created.RunID, api.StateRunning)
	p.signal(t, syscall.SIGTERM)
	waitHealth(t, p, http.StatusServiceUnavailable, 2*time.Second)
	second := time.Now()
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 15*time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if took := time.Since(second); took > 10*time.Second {
		t.Errorf("stopping took %s after the second signal", took)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(p.DataDir, "ai4artsed.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run, err := db.GetRun(context.Background(), created.RunID)
	if err != nil || run.State != store.StateInterrupted {
		t.Fatalf("the run after the second signal: %v %v, want interrupted", run, err)
	}
}

func eventTypes(evs []api.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%d:%s", e.Seq, e.Type))
	}
	return out
}
