package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
)

func TestWorkshopRuns(t *testing.T) {
	e := newWorkshopEnv(t, false)
	ws := e.create(t, api.WorkshopRequest{Name: "Klasse 7b", SafetyLevel: "kids", Interceptions: []string{"dada"},
		Limits: api.WorkshopLimits{RunsPerHour: 2, RunsAtOnce: 1}})
	dev, _ := e.join(t, ws.Code)

	// The device, not X-Client-ID, is the client; the workshop's rules travel along.
	if status, code := e.run(t, "a", dev, "interception"); status != 202 {
		t.Fatalf("first run: %d %s", status, code)
	}
	req := e.runs.last()
	if !strings.HasPrefix(req.ClientID, "d:") || req.Workshop == nil || req.Workshop.ID != ws.ID ||
		req.Workshop.SafetyLevel != "kids" || req.Workshop.RunsAtOnce != 1 || req.Workshop.Interceptions[0] != "dada" {
		t.Errorf("request = %+v, workshop %+v", req, req.Workshop)
	}
	// Rotating X-Client-ID does not help: the hourly limit counts the device.
	if status, _ := e.run(t, "b", dev, "interception"); status != 202 {
		t.Fatalf("second run: %d", status)
	}
	if status, code := e.run(t, "c", dev, "interception"); status != 429 || code != api.CodeWorkshopLimit {
		t.Errorf("third run in the hour: %d %s, want 429 workshop_limit", status, code)
	}
	e.clock.Add(time.Hour + time.Second)
	if status, _ := e.run(t, "d", dev, "interception"); status != 202 {
		t.Errorf("run an hour later: %d", status)
	}

	// A forged cookie is an unjoined browser: it runs as before (server
	// without AI4ARTSED_REQUIRE_WORKSHOP) under its X-Client-ID.
	forged := &http.Cookie{Name: api.DeviceCookie, Value: dev.Value[:len(dev.Value)-2] + "xx"}
	if status, _ := e.run(t, "e", forged, "interception"); status != 202 || e.runs.last().ClientID != "c:e" || e.runs.last().Workshop != nil {
		t.Errorf("forged cookie: %d %+v", status, e.runs.last())
	}

	// Paused: a clear refusal.
	if w := do(t, e.s, "POST", "/api/teacher/workshops/"+ws.ID+"/pause", nil, withCookie(e.ana)); w.Code != 200 {
		t.Fatal(w.Code)
	}
	w := do(t, e.s, "POST", "/api/runs", body(`{"prompt":"ein Haus"}`), withCookie(dev), func(r *http.Request) {
		r.Header.Set("Accept-Language", "de")
	})
	if w.Code != 403 || errCode(t, w) != api.CodeWorkshopPaused || !strings.Contains(w.Body.String(), "angehalten") {
		t.Errorf("paused: %d %s", w.Code, w.Body)
	}

	// Over: closed.
	do(t, e.s, "POST", "/api/teacher/workshops/"+ws.ID+"/resume", nil, withCookie(e.ana))
	e.clock.Add(8 * time.Hour)
	if status, code := e.run(t, "f", dev, "interception"); status != 403 || code != api.CodeWorkshopClosed {
		t.Errorf("after the end: %d %s", status, code)
	}
}

func TestRequireWorkshop(t *testing.T) {
	e := newWorkshopEnv(t, true)
	ws := e.create(t, api.WorkshopRequest{Name: "Klasse 7b", Limits: api.WorkshopLimits{GenerationsPerHour: 1}})
	if status, code := e.run(t, "a", nil, "interception"); status != 403 || code != api.CodeWorkshopRequired {
		t.Errorf("no cookie: %d %s", status, code)
	}
	forged := &http.Cookie{Name: api.DeviceCookie, Value: "abc.def"}
	if status, code := e.run(t, "a", forged, "interception"); status != 403 || code != api.CodeWorkshopRequired {
		t.Errorf("forged cookie: %d %s", status, code)
	}
	d1, _ := e.join(t, ws.Code)
	d2, _ := e.join(t, ws.Code)
	if status, _ := e.run(t, "a", d1, "all"); status != 202 {
		t.Errorf("first generation: %d", status)
	}
	// Generations count per workshop: a second device hits the same cap.
	if status, code := e.run(t, "b", d2, "all"); status != 429 || code != api.CodeWorkshopLimit {
		t.Errorf("second generation in the hour: %d %s", status, code)
	}
	if status, _ := e.run(t, "b", d2, "interception"); status != 202 {
		t.Errorf("text only after the generation cap: %d", status)
	}
	// A deleted workshop's cookie is an unjoined browser.
	do(t, e.s, "DELETE", "/api/teacher/workshops/"+ws.ID, nil, withCookie(e.ana))
	if status, code := e.run(t, "a", d1, "interception"); status != 403 || code != api.CodeWorkshopRequired {
		t.Errorf("deleted workshop: %d %s", status, code)
	}
}

// TestRefusedRunsDoNotCount: a run the pipeline refuses (a validation
// error) gives its place in the hourly limit back.
func TestRefusedRunsDoNotCount(t *testing.T) {
	e := newWorkshopEnv(t, false)
	ws := e.create(t, api.WorkshopRequest{Name: "7b", Limits: api.WorkshopLimits{RunsPerHour: 1}})
	dev, _ := e.join(t, ws.Code)
	e.runs.err = fault.Invalid("prompt", "leer", "empty")
	for range 3 {
		if status, code := e.run(t, "a", dev, "interception"); status != 400 {
			t.Fatalf("refused run: %d %s", status, code)
		}
	}
	e.runs.err = nil
	if status, code := e.run(t, "a", dev, "interception"); status != 202 {
		t.Errorf("first real run after refusals: %d %s", status, code)
	}
}
