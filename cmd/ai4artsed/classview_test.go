package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"go.uber.org/goleak"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/client"
	"github.com/ai4artsed/ai4artsed/internal/auth"
	"github.com/ai4artsed/ai4artsed/internal/httpapi"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// addTeacher makes a teacher account in the env's store and signs in with
// a client of its own.
func addTeacher(t *testing.T, env *testEnv, name string) *http.Client {
	t.Helper()
	h, err := auth.Hash(name+"'s long password", env.App.Settings.PasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.App.Store.CreateUser(context.Background(), store.User{Name: name, Role: store.RoleTeacher, PasswordHash: h}); err != nil {
		t.Fatal(err)
	}
	c := cookieClient(t)
	postJSON(t, c, env.Server.URL+"/api/login", api.LoginRequest{Name: name, Password: name + "'s long password"}, 200, nil)
	return c
}

// TestClassViewEndToEnd: a teacher's class view receives a student's
// image run live through the real pipeline, from its creation through its
// stages to done with the image; another teacher gets 404; when the
// teacher leaves, the stream and its followers end and no goroutine is
// left behind.
func TestClassViewEndToEnd(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		goleak.VerifyNone(t, ignore)
	})
	env := newEnv(t, envOptions{sim: SimSettings{TokenDelay: 5 * time.Millisecond, StepDelay: 5 * time.Millisecond},
		mutate: func(s *Settings) { s.PasswordParams = auth.Params{Time: 1, MemoryKiB: 64, Threads: 1} }})
	base := env.Server.URL
	ana, bo := addTeacher(t, env, "ana"), addTeacher(t, env, "bo")
	t.Cleanup(func() { ana.CloseIdleConnections(); bo.CloseIdleConnections() })
	var ws api.Workshop
	postJSON(t, ana, base+"/api/teacher/workshops", api.WorkshopRequest{Name: "Klasse 4a", SafetyLevel: "kids",
		Limits: api.WorkshopLimits{GenerationsPerHour: 10}}, 201, &ws)
	student := cookieClient(t)
	t.Cleanup(student.CloseIdleConnections)
	postJSON(t, student, base+"/api/join", api.JoinRequest{Code: ws.Code, Nickname: "Fuchs"}, 200, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := client.New(base, bo).Class(ctx, ws.ID, func(api.Event) error { return nil }); client.StatusOf(err) != 404 {
		t.Fatalf("another teacher's class view: %v, want 404", err)
	}
	if err := client.New(base, student).Class(ctx, ws.ID, func(api.Event) error { return nil }); client.StatusOf(err) != 401 {
		t.Fatalf("a student's class view: %v, want 401", err)
	}

	// The teacher watches; the first two events are the workshop and an
	// empty snapshot.
	live, leave := context.WithCancel(ctx)
	got := make(chan api.Payload, 1000)
	ended := make(chan error, 1)
	var (
		rawMu sync.Mutex
		raw   []api.Event
	)
	go func() {
		ended <- client.New(base, ana).Class(live, ws.ID, func(e api.Event) error {
			rawMu.Lock()
			raw = append(raw, e)
			rawMu.Unlock()
			p, err := e.DecodeClass()
			if err == nil {
				got <- p
			}
			return err
		})
	}()
	next := func(what string) api.Payload {
		t.Helper()
		select {
		case p := <-got:
			return p
		case err := <-ended:
			t.Fatalf("waiting for %s: the class view ended: %v", what, err)
		case <-ctx.Done():
			t.Fatalf("waiting for %s: timed out", what)
		}
		return nil
	}
	if w, ok := next("the workshop").(api.ClassWorkshop); !ok || w.Name != "Klasse 4a" || w.Quota.GenerationsLeft == nil || *w.Quota.GenerationsLeft != 10 {
		t.Fatalf("first event %#v", w)
	}
	if s, ok := next("the snapshot").(api.ClassSnapshot); !ok || len(s.Runs) != 0 {
		t.Fatalf("second event %#v, want an empty snapshot", s)
	}

	created, err := client.New(base, student).StartRun(ctx, api.RunRequest{Stages: api.StagesAll, Prompt: "ein Fuchs im Schnee", Interception: "dada"})
	if err != nil {
		t.Fatal(err)
	}
	var states []api.RunState
	var stages []string
	var last api.ClassRun
	quota := -1
	for last.State != api.StateDone {
		switch p := next("the run").(type) {
		case api.ClassRun:
			if p.RunID != created.RunID {
				t.Fatalf("a run %s that the student did not start", p.RunID)
			}
			if len(states) == 0 || states[len(states)-1] != p.State {
				states = append(states, p.State)
			}
			if p.Stage != nil {
				s := p.Stage.Name + " " + p.Stage.Status
				if len(stages) == 0 || stages[len(stages)-1] != s {
					stages = append(stages, s)
				}
			}
			last = p
		case api.ClassWorkshop:
			if p.Quota.GenerationsLeft != nil {
				quota = *p.Quota.GenerationsLeft
			}
		}
	}
	if !slices.Equal(states, []api.RunState{api.StateQueued, api.StateRunning, api.StateDone}) {
		t.Errorf("states seen %v, want queued, running, done", states)
	}
	for _, want := range []string{"safety started", "interception started", "optimization started", "generation started", "generation done"} {
		if !slices.Contains(stages, want) {
			t.Errorf("stages seen %v lack %q", stages, want)
		}
	}
	if last.Nickname != "Fuchs" || last.Prompt != "ein Fuchs im Schnee" || len(last.Media) != 1 || last.Media[0].URL == "" ||
		len(last.Texts) < 2 || len(last.Verdicts) < 2 || last.Blocked() {
		t.Errorf("the run at its end: %+v", last)
	}
	if quota != 9 {
		t.Errorf("generations left after the run: %d, want 9 (the workshop event after the run started)", quota)
	}

	// A reconnect starts with the run in its snapshot.
	var snap api.ClassSnapshot
	errSeen := errors.New("seen")
	_ = client.New(base, ana).Class(ctx, ws.ID, func(e api.Event) error {
		if e.Type != api.EventClassSnapshot {
			return nil
		}
		p, err := e.DecodeClass()
		snap, _ = p.(api.ClassSnapshot)
		if err != nil {
			return err
		}
		return errSeen
	})
	if len(snap.Runs) != 1 || snap.Runs[0].RunID != created.RunID || snap.Runs[0].State != api.StateDone || len(snap.Runs[0].Media) != 1 {
		t.Errorf("snapshot after the run: %+v", snap)
	}

	leave()
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the class view ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the class view did not end when the teacher left")
	}
	waitFor(t, "every follower to end", 5*time.Second, func() bool { return env.App.Hub.Subscribers() == 0 })

	// Every class event, and the student's workshop answer, match the
	// OpenAPI document.
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	names, _ := doc.Extensions["x-class-events"].(map[string]any)
	check := func(what, ref string, data []byte) {
		t.Helper()
		schema := doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
		var v any
		if schema == nil || json.Unmarshal(data, &v) != nil {
			t.Errorf("%s: no schema %q or not JSON", what, ref)
			return
		}
		if err := schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			t.Errorf("%s %s does not match %s: %v", what, data, ref, err)
		}
	}
	rawMu.Lock()
	seen := map[api.EventType]bool{}
	for _, e := range raw {
		ref, _ := names[string(e.Type)].(string)
		check("class event "+string(e.Type), ref, e.Data)
		seen[e.Type] = true
	}
	rawMu.Unlock()
	for _, typ := range api.ClassEventTypes {
		if !seen[typ] {
			t.Errorf("no %s class event was checked", typ)
		}
	}
	resp, err := student.Get(base + "/api/workshop")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /api/workshop: %d %s", resp.StatusCode, body)
	}
	check("GET /api/workshop", "#/components/schemas/StudentWorkshop", body)
}
