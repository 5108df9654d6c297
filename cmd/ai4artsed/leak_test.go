package main

import (
	"bufio"
	"context"
	"errors"
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

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/client"
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
		http.DefaultClient.CloseIdleConnections() // the test server's own client is closed with it
		goleak.VerifyNone(t, ignore)
	})
	env := newEnv(t, envOptions{sim: SimSettings{TokenDelay: 50 * time.Millisecond}, mutate: func(s *Settings) { s.MaxRunsClient = 100 }})
	u, _ := url.Parse(env.Server.URL)
	port, _ := strconv.Atoi(u.Port())

	const runs, perRun = 10, 10
	errLeave := errors.New("leaving mid-stream")
	ids := make([]string, runs)
	for i := range ids {
		id, err := env.startRunAs(t, "leaky", interceptionBody(fmt.Sprintf("a long story number %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	var wg sync.WaitGroup
	for i := 0; i < runs*perRun; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			// Read the first two events, then leave mid-stream.
			events := 0
			err := env.client("").Follow(ctx, ids[i%runs], 0, func(api.Event) error {
				if events++; events == 2 {
					return errLeave
				}
				return nil
			})
			if err != errLeave {
				t.Errorf("client %d left after %d events: %v", i, events, err)
			}
		}()
	}
	wg.Wait()
	env.Server.Client().CloseIdleConnections()
	waitFor(t, "every SSE handler to return", 5*time.Second, func() bool { return env.App.Hub.Subscribers() == 0 })
	waitFor(t, "no CLOSE_WAIT sockets on the server's port", 5*time.Second, func() bool { return closeWaitSockets(t, port) == 0 })

	// The server still serves: health, and a new run from start to done.
	if code, _ := getJSON(t, env.Server.URL+"/healthz"); code != 200 {
		t.Fatalf("healthz = %d", code)
	}
	id, err := env.startRunAs(t, "fresh", interceptionBody("still alive?"))
	if err != nil {
		t.Fatal(err)
	}
	evs := env.collect(t, id)
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
		id, err := env.startRunAs(t, "x", interceptionBody("slow"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := env.Ollama.WaitRequests(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// A viewer of the first run, whose stream the shutdown ends.
	streamed := make(chan error, 1)
	watching := make(chan struct{})
	go func() {
		_, err := env.follow(ctx, ids[0], 0, func(sseEvent) {
			select {
			case <-watching:
			default:
				close(watching)
			}
		})
		streamed <- err
	}()
	select {
	case <-watching:
	case <-ctx.Done():
		t.Fatal("no event of the first run")
	}
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
	// The stream ends; the client resumes it and reads the run's end.
	select {
	case err := <-streamed:
		if err != nil {
			t.Fatalf("following the interrupted run: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the stream did not end")
	}
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
	if _, err := env.startRunAs(t, "late", interceptionBody("too late")); client.StatusOf(err) != http.StatusServiceUnavailable {
		t.Fatalf("run after shutdown: %v", err)
	}
}
