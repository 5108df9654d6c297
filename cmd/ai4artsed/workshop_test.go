package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/client"
	"github.com/ai4artsed/ai4artsed/internal/auth"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// cookieClient is an HTTP client with its own cookies.
func cookieClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

func postJSON(t *testing.T, c *http.Client, url string, body any, want int, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := c.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		var e api.ErrorBody
		_ = json.NewDecoder(resp.Body).Decode(&e)
		t.Fatalf("POST %s: %d %+v, want %d", url, resp.StatusCode, e, want)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWorkshopEndToEnd: a teacher made with the store signs in, makes a
// kids workshop, a student joins by code and runs through the real
// pipeline as the device, at the workshop's level; a browser that did not
// join is refused on a server that requires workshops.
func TestWorkshopEndToEnd(t *testing.T) {
	env := newEnv(t, envOptions{mutate: func(s *Settings) {
		s.PasswordParams = auth.Params{Time: 1, MemoryKiB: 64, Threads: 1}
		s.RequireWorkshop = true
	}})
	h, _ := auth.Hash("ana's long password", env.App.Settings.PasswordParams)
	if err := env.App.Store.CreateUser(context.Background(), store.User{Name: "ana", Role: store.RoleTeacher, PasswordHash: h}); err != nil {
		t.Fatal(err)
	}
	base := env.Server.URL
	teacher := cookieClient(t)
	postJSON(t, teacher, base+"/api/login", api.LoginRequest{Name: "ana", Password: "ana's long password"}, 200, nil)
	var ws api.Workshop
	postJSON(t, teacher, base+"/api/teacher/workshops", api.WorkshopRequest{Name: "Klasse 4a", SafetyLevel: "kids",
		Interceptions: []string{"dada"}}, 201, &ws)

	student := cookieClient(t)
	var joined api.Joined
	postJSON(t, student, base+"/api/join", api.JoinRequest{Code: strings.ToLower(ws.Code), Nickname: "Fuchs"}, 200, &joined)
	if joined.Workshop != "Klasse 4a" {
		t.Errorf("joined %+v", joined)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sc := client.New(base, student, client.WithClientID("rotating-1"))
	created, err := sc.StartRun(ctx, api.RunRequest{Stages: "interception", Prompt: "ein Drache", Interception: "dada", SafetyLevel: "youth"})
	if err != nil {
		t.Fatalf("student run: %v", err)
	}
	env.collect(t, created.RunID)
	run, err := env.App.Store.GetRun(ctx, created.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(run.ClientID, "d:") || !strings.Contains(string(run.Input), `"safety_level":"kids"`) ||
		!strings.Contains(string(run.Input), `"workshop_id":"`+ws.ID+`"`) {
		t.Errorf("stored run: client %q input %s", run.ClientID, run.Input)
	}

	_, err = sc.StartRun(ctx, api.RunRequest{Stages: "interception", Prompt: "ein Drache", Interception: "bauhaus"})
	if client.StatusOf(err) != 403 {
		t.Errorf("config the workshop does not allow: %v", err)
	}
	_, err = env.client("other").StartRun(ctx, api.RunRequest{Stages: "interception", Prompt: "ein Drache"})
	if client.StatusOf(err) != 403 || !strings.Contains(err.Error(), "workshop") {
		t.Errorf("browser without a workshop: %v", err)
	}
}
