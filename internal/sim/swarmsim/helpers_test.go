package swarmsim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ai4artsed/ai4artsed/internal/sim/swarmsim"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testModels are the names the simulator lists in most tests.
var (
	testModels = []string{
		"OfficialStableDiffusion/sd3.5_large.safetensors",
		"OfficialStableDiffusion/sd_xl_base_1.0.safetensors",
		"Flux/nested/deep/flux1-schnell.safetensors",
	}
	testLoRAs = []string{"watercolor.safetensors", "styles/ink.safetensors"}
)

// newSim starts a simulator on an httptest server; both stop at cleanup.
func newSim(t *testing.T, opts swarmsim.Options) (*swarmsim.Server, *httptest.Server) {
	t.Helper()
	if opts.Models == nil {
		opts.Models = testModels
	}
	if opts.LoRAs == nil {
		opts.LoRAs = testLoRAs
	}
	sim := swarmsim.New(opts)
	ts := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.Close()
		ts.Close()
	})
	return sim, ts
}

func newClient(ts *httptest.Server) *swarm.Client {
	return swarm.New(ts.URL, ts.Client())
}

// rawPost sends a raw API request and decodes the JSON answer.
func rawPost(t *testing.T, ts *httptest.Server, path, contentType string, body io.Reader, hdr http.Header) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	return doJSON(t, ts, req)
}

func doJSON(t *testing.T, ts *httptest.Server, req *http.Request) (int, map[string]any, http.Header) {
	t.Helper()
	c := *ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if len(bytes.TrimSpace(raw)) > 0 && json.Unmarshal(raw, &out) != nil {
		out = map[string]any{"_raw": string(raw)}
	}
	return resp.StatusCode, out, resp.Header
}

func jsonBody(t *testing.T, v any) *bytes.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// session gets a session id over raw HTTP.
func session(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	status, out, _ := rawPost(t, ts, "/API/GetNewSession", "application/json", jsonBody(t, map[string]any{}), nil)
	id, _ := out["session_id"].(string)
	if status != 200 || id == "" {
		t.Fatalf("GetNewSession: %d %v", status, out)
	}
	return id
}

// waitFor polls cond every 10ms until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
