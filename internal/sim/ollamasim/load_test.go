package ollamasim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestModelLoads checks the cost of switching models on a machine with
// room for one: each switch is a load that takes LoadDelay and evicts the
// other model, which /api/ps then no longer lists.
func TestModelLoads(t *testing.T) {
	const delay = 50 * time.Millisecond
	sim := New(Options{Models: []string{"a", "b"}, LoadDelay: delay, MaxLoadedModels: 1})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	tests := []struct {
		model    string
		loads    int
		slow     bool
		resident string
	}{
		{"a", 1, true, "a:latest"},
		{"a", 1, false, "a:latest"},
		{"b", 2, true, "b:latest"},
		{"a", 3, true, "a:latest"},
	}
	for i, tt := range tests {
		start := time.Now()
		body, _ := json.Marshal(map[string]any{"model": tt.model, "stream": false,
			"messages": []map[string]string{{"role": "user", "content": "hi"}}})
		resp, err := http.Post(srv.URL+"/api/chat", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		took := time.Since(start)
		if resp.StatusCode != http.StatusOK || sim.Loads() != tt.loads || (took >= delay) != tt.slow {
			t.Fatalf("call %d (%s): status %d, loads %d (want %d), took %v (slow %v)", i, tt.model, resp.StatusCode, sim.Loads(), tt.loads, took, tt.slow)
		}
		if got := psNames(t, srv.URL); !slices.Equal(got, []string{tt.resident}) {
			t.Fatalf("call %d: /api/ps lists %v, want [%s]", i, got, tt.resident)
		}
	}
}

func psNames(t *testing.T, url string) []string {
	t.Helper()
	resp, err := http.Get(url + "/api/ps")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ps struct {
		Models []struct{ Name string } `json:"models"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ps); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ps.Models {
		out = append(out, m.Name)
	}
	return out
}

// TestBusyAndMaxRequests: three generations at once are three open
// requests whatever Parallel says; the machine is busy for the union of
// their running time: at least three delays one after another when they
// run serially, at least one when they run together, never longer than
// the wall time.
func TestBusyAndMaxRequests(t *testing.T) {
	const delay = 100 * time.Millisecond
	for _, tt := range []struct {
		parallel int
		minBusy  time.Duration
	}{{1, 3 * delay}, {-1, delay}} {
		sim := New(Options{Models: []string{"m"}, Parallel: tt.parallel, FirstTokenDelay: delay})
		srv := httptest.NewServer(sim)
		start := time.Now()
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				body := `{"model":"m","stream":false,"messages":[{"role":"user","content":"hi"}]}`
				resp, err := http.Post(srv.URL+"/api/chat", "application/json", strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			})
			if err := sim.WaitRequests(context.Background(), len(sim.Requests())+1); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		wall := time.Since(start)
		srv.Close()
		if got := sim.MaxRequests(); got != 3 {
			t.Errorf("parallel %d: max requests %d, want 3", tt.parallel, got)
		}
		if busy := sim.Busy(); busy < tt.minBusy || busy > wall {
			t.Errorf("parallel %d: busy %v, want %v..%v", tt.parallel, busy, tt.minBusy, wall)
		}
	}
}
