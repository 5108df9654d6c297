package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/pipeline"
	"github.com/ai4artsed/ai4artsed/internal/store"
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

// blockingRuns is a pipeline whose Start waits until release is closed.
type blockingRuns struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blockingRuns) Start(ctx context.Context, req pipeline.Request) (*store.Run, error) {
	close(b.entered)
	<-b.release
	return &store.Run{ID: "r1", State: store.StateQueued}, nil
}

func (b *blockingRuns) Cancel(context.Context, string) error { return nil }

// TestStartingRunsCountsRequestsPastTheCheck: a run request that passed the
// draining check before Drain is counted until its run has started, so the
// drain waits for it too.
func TestStartingRunsCountsRequestsPastTheCheck(t *testing.T) {
	runs := &blockingRuns{entered: make(chan struct{}), release: make(chan struct{})}
	s := New(Config{Pipeline: runs})
	done := make(chan int)
	go func() {
		req := httptest.NewRequest("POST", "/api/runs", strings.NewReader(`{"stages":"interception","prompt":"ein Haus"}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		done <- rec.Code
	}()
	<-runs.entered
	s.Drain()
	if n := s.StartingRuns(); n != 1 {
		t.Fatalf("StartingRuns = %d while a run is being started, want 1", n)
	}
	close(runs.release)
	if code := <-done; code != http.StatusAccepted {
		t.Fatalf("the run started before Drain: %d, want 202", code)
	}
	if n := s.StartingRuns(); n != 0 {
		t.Fatalf("StartingRuns = %d after the request, want 0", n)
	}
}
