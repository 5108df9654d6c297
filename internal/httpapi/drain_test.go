package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ai4artsed/ai4artsed/api"
)

// TestDrainTurnsHealthAndNewRunsAway checks the two answers a draining
// server changes: /healthz 503 "draining" for the load balancer, and new
// runs 503 shutting_down with Retry-After, before the body is even read;
// other routes answer as before.
func TestDrainTurnsHealthAndNewRunsAway(t *testing.T) {
	s := New(Config{})
	do := func(method, path, body string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	health := func() (int, string) {
		rec := do("GET", "/healthz", "")
		var h api.Health
		if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil {
			t.Fatalf("healthz body %q: %v", rec.Body.String(), err)
		}
		return rec.Code, h.Status
	}
	if code, st := health(); code != http.StatusOK || st != api.HealthOK {
		t.Fatalf("before Drain: %d %q", code, st)
	}
	s.Drain()
	s.Drain()
	if code, st := health(); code != http.StatusServiceUnavailable || st != api.HealthDraining {
		t.Fatalf("after Drain: healthz %d %q, want 503 draining", code, st)
	}
	rec := do("POST", "/api/runs", `{"stages":"interception","prompt":"ein Haus"}`)
	var body api.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusServiceUnavailable ||
		body.Error.Code != api.CodeShuttingDown || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("new run while draining: %d %s (Retry-After %q), want 503 shutting_down", rec.Code, rec.Body.String(), rec.Header().Get("Retry-After"))
	}
	if rec := do("GET", "/api/info", ""); rec.Code != http.StatusOK {
		t.Errorf("info while draining: %d", rec.Code)
	}
}
