package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// closeWaitSockets counts sockets in CLOSE_WAIT whose local port is port.
func closeWaitSockets(t *testing.T, port int) int {
	t.Helper()
	n := 0
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || fields[0] == "sl" {
				continue
			}
			local := fields[1]
			i := strings.LastIndexByte(local, ':')
			p, err := strconv.ParseInt(local[i+1:], 16, 32)
			if err == nil && int(p) == port && fields[3] == "08" {
				n++
			}
		}
		fh.Close()
	}
	return n
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHundredSSEClientsDisconnectWithoutLeaks(t *testing.T) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("needs /proc/net/tcp")
	}
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		goleak.VerifyNone(t, ignore)
	})
	env := newEnv(t, envOptions{sim: SimSettings{TokenDelay: 50 * time.Millisecond}, mutate: func(s *Settings) { s.MaxRunsClient = 100 }})
	u, _ := url.Parse(env.Server.URL)
	port, _ := strconv.Atoi(u.Port())

	const runs, perRun = 10, 10
	ids := make([]string, runs)
	for i := range ids {
		code, out := env.startRunAs(t, "leaky", interceptionBody(fmt.Sprintf("a long story number %d", i)))
		if code != http.StatusAccepted {
			t.Fatalf("%d %v", code, out)
		}
		ids[i] = out["run_id"].(string)
	}
	var wg sync.WaitGroup
	for i := 0; i < runs*perRun; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			resp := env.openEvents(t, ctx, ids[i%runs], "")
			defer resp.Body.Close()
			// Read the first two events, then leave mid-stream.
			sc := bufio.NewScanner(resp.Body)
			events := 0
			for events < 2 && sc.Scan() {
				if strings.HasPrefix(sc.Text(), "event: ") {
					events++
				}
			}
			if events < 2 {
				t.Errorf("client %d saw %d events before leaving", i, events)
			}
		}()
	}
	wg.Wait()
	http.DefaultClient.CloseIdleConnections()
	waitFor(t, "every SSE handler to return", 5*time.Second, func() bool { return env.App.Hub.Subscribers() == 0 })
	waitFor(t, "no CLOSE_WAIT sockets on the server's port", 5*time.Second, func() bool { return closeWaitSockets(t, port) == 0 })

	// The server still serves: health, and a new run from start to done.
	if code, _ := getJSON(t, env.Server.URL+"/healthz"); code != 200 {
		t.Fatalf("healthz = %d", code)
	}
	code, out := env.startRunAs(t, "fresh", interceptionBody("still alive?"))
	if code != http.StatusAccepted {
		t.Fatalf("%d %v", code, out)
	}
	evs := env.collect(t, out["run_id"].(string))
	if evs[len(evs)-1].Data["state"] != "done" {
		t.Fatalf("new run ended %v", evs[len(evs)-1].Data)
	}
	// Runs whose viewers left keep running to the end (closing a tab never cancels).
	for _, id := range ids {
		evs := env.collect(t, id)
		if evs[len(evs)-1].Data["state"] != "done" {
			t.Fatalf("run %s ended %v", id, evs[len(evs)-1].Data)
		}
	}
}

func TestShutdownInterruptsRunsInFlight(t *testing.T) {
	env := newEnv(t, envOptions{sim: SimSettings{TokenDelay: 200 * time.Millisecond}, mutate: func(s *Settings) { s.LLMSlots = 1; s.MaxRunsClient = 10 }})
	var ids []string
	for i := 0; i < 3; i++ {
		_, out := env.startRunAs(t, "x", interceptionBody("slow"))
		ids = append(ids, out["run_id"].(string))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := env.Ollama.WaitRequests(ctx, 1); err != nil {
		t.Fatal(err)
	}
	resp := env.openEvents(t, ctx, ids[0], "")
	defer resp.Body.Close()
	start := time.Now()
	env.App.API.CloseStreams()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := env.App.Pipeline.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("shutdown took %v", d)
	}
	_ = readEvents(t, resp.Body, nil) // the stream ends
	for _, id := range ids {
		run, err := env.App.Store.GetRun(context.Background(), id)
		if err != nil || run.State != "interrupted" {
			t.Fatalf("run %s after shutdown: %v %v", id, run.State, err)
		}
		evs, _ := env.App.Store.Events(context.Background(), id, 0)
		if last := evs[len(evs)-1]; last.Type != "done" || !strings.Contains(string(last.Data), "interrupted") {
			t.Fatalf("run %s last event %s %s", id, last.Type, last.Data)
		}
	}
	if code, out := env.startRunAs(t, "late", interceptionBody("too late")); code != http.StatusServiceUnavailable {
		t.Fatalf("run after shutdown: %d %v", code, out)
	}
}
