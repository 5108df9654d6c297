package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/sqlite"
)

func TestInterceptionRunEndToEnd(t *testing.T) {
	env := newEnv(t, envOptions{sim: SimSettings{TokenDelay: time.Millisecond}})
	prompt := "a red bicycle standing in the rain"
	id := env.startRun(t, api.RunRequest{Stages: "interception", Prompt: prompt, Interception: "dada", Lang: "en"})
	evs := env.collect(t, id)

	// Event order: run, run(running), stage 1 skipped, stage 2 started, chunks, text, stage 2 done, done.
	var order []string
	var chunks strings.Builder
	var text string
	for i, e := range evs {
		if e.ID != int64(i+1) {
			t.Fatalf("event %d has id %d", i, e.ID)
		}
		switch e.Type {
		case "chunk":
			chunks.WriteString(e.Data["text"].(string))
			if len(order) == 0 || order[len(order)-1] != "chunk" {
				order = append(order, "chunk")
			}
			continue
		case "text":
			text = e.Data["text"].(string)
		case "stage":
			order = append(order, e.Type+":"+e.Data["name"].(string)+":"+e.Data["status"].(string))
			continue
		}
		order = append(order, e.Type)
	}
	want := "run run stage:safety:started safety stage:safety:done stage:interception:started chunk text stage:interception:done done"
	if got := strings.Join(order, " "); got != want {
		t.Fatalf("event order:\n got %s\nwant %s", got, want)
	}
	if text != chunks.String() {
		t.Fatalf("text %q != concatenated chunks %q", text, chunks.String())
	}
	ic, _ := env.App.Catalog.Interception("dada")
	model := strings.TrimPrefix(env.App.Settings.ModelInterception, "ollama/")
	wantText := ollamasim.Reply(model, []ollamasim.Message{{Role: "system", Content: ic.Context.Get("en")}, {Role: "user", Content: prompt}})
	if text != wantText {
		t.Fatalf("text %q, simulator's answer %q", text, wantText)
	}
	reqs := env.Ollama.Requests()
	if len(reqs) != 1 || reqs[0].Messages[0].Content != ic.Context.Get("en") || reqs[0].Messages[1].Content != prompt {
		t.Fatalf("simulator received %+v", reqs)
	}
	if last := evs[len(evs)-1]; last.Data["state"] != "done" {
		t.Fatalf("done state = %v", last.Data["state"])
	}

	// The stored record has the text, model and state.
	code, run := getJSON(t, env.Server.URL+"/api/runs/"+id)
	if code != 200 || run["state"] != "done" {
		t.Fatalf("GET run = %d %v", code, run)
	}
	results := run["results"].([]any)
	var got string
	for _, r := range results {
		m := r.(map[string]any)
		if m["name"] == "interception" {
			got, _ = m["text"].(string)
		}
	}
	if got != text {
		t.Fatalf("stored interception text %q, want %q", got, text)
	}
}

func TestReplayAfterLastEventID(t *testing.T) {
	env := newEnv(t, envOptions{})
	id := env.startRun(t, api.RunRequest{Stages: "interception", Prompt: "ein Baum aus Glas", Interception: "bauhaus"})
	all := env.collect(t, id)
	if len(all) < 5 {
		t.Fatalf("only %d events", len(all))
	}
	for _, n := range []int{0, 1, 3, len(all) - 1} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		evs, err := env.follow(ctx, id, int64(n), nil)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != len(all)-n {
			t.Fatalf("after %d: got %d events, want %d", n, len(evs), len(all)-n)
		}
		for i, e := range evs {
			if e.ID != all[n+i].ID || e.Raw != all[n+i].Raw {
				t.Fatalf("after %d: event %d = %d %s, want %d %s", n, i, e.ID, e.Raw, all[n+i].ID, all[n+i].Raw)
			}
		}
		if evs[len(evs)-1].Type != "done" {
			t.Fatalf("replay after %d does not end with done", n)
		}
	}
}

func TestCancelMidStream(t *testing.T) {
	env := newEnv(t, envOptions{sim: SimSettings{TokenDelay: 100 * time.Millisecond}})
	id := env.startRun(t, api.RunRequest{Stages: "interception", Prompt: "a cat made of clouds", Interception: "overdrive"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var cancelledAt time.Time
	evs, err := env.follow(ctx, id, 0, func(e sseEvent) {
		if e.Type == "chunk" && cancelledAt.IsZero() {
			cancelledAt = time.Now()
			if code := env.cancel(t, id); code != http.StatusAccepted {
				t.Errorf("cancel = %d", code)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Type != "done" || last.Data["state"] != "cancelled" {
		t.Fatalf("last event %s %v, want done cancelled", last.Type, last.Data)
	}
	// The simulator notices the closed connection on its own schedule; give
	// it the one second the issue allows, then check when it saw it.
	var reqs []ollamasim.Recorded
	waitFor(t, "the simulator to see its request cancelled", 2*time.Second, func() bool {
		reqs = env.Ollama.Requests()
		return len(reqs) == 1 && reqs[0].Cancelled
	})
	if d := reqs[0].CancelledAt.Sub(cancelledAt); d > time.Second {
		t.Fatalf("simulator saw the cancel after %v", d)
	}
	if code := env.cancel(t, id); code != http.StatusConflict {
		t.Fatalf("second cancel = %d, want 409", code)
	}
}

func TestRestartInterruptsUnfinishedRuns(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dir+"/ai4artsed.db")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, r := range []struct {
		id string
		st store.State
	}{{"aaa1", store.StateRunning}, {"aaa2", store.StateQueued}, {"aaa3", store.StateDone}} {
		if err := db.CreateRun(ctx, &store.Run{ID: r.id, Stages: "interception", Lang: "de", Input: []byte(`{}`), State: r.st, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := db.AppendEvent(ctx, store.Event{RunID: r.id, Seq: 1, Type: "run", Data: []byte(`{"state":"queued"}`), At: now}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close() // as if the process had been killed

	env := newEnv(t, envOptions{mutate: func(s *Settings) { s.DataDir = dir }})
	for id, want := range map[string]string{"aaa1": "interrupted", "aaa2": "interrupted", "aaa3": "done"} {
		code, run := getJSON(t, env.Server.URL+"/api/runs/"+id)
		if code != 200 || run["state"] != want {
			t.Fatalf("run %s after restart: %d %v, want %s", id, code, run["state"], want)
		}
	}
	evs := env.collect(t, "aaa1")
	// The same error and done as a shutdown, in the run's language.
	if len(evs) != 3 {
		t.Fatalf("replay of the interrupted run: %v", types(evs))
	}
	errEv, last := evs[1], evs[2]
	if errEv.Type != "error" || errEv.Data["code"] != "interrupted" || errEv.ID != 2 ||
		!strings.Contains(errEv.Data["message"].(string), "Der Server wurde beendet") {
		t.Fatalf("replay of the interrupted run: error event %+v", errEv)
	}
	if last.Type != "done" || last.Data["state"] != "interrupted" || last.ID != 3 {
		t.Fatalf("replay of interrupted run ends with %+v", last)
	}
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out
}
