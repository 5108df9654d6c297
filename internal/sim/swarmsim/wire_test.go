package swarmsim_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/sim/swarmsim"
)

func TestAPIWireErrors(t *testing.T) {
	_, ts := newSim(t, swarmsim.Options{})
	sid := session(t, ts)
	tests := []struct {
		name       string
		path       string
		ct         string
		body       func() io.Reader
		hdr        http.Header
		wantStatus int
		wantID     string
		wantError  string
	}{
		{"wrong content type", "/API/ListModels", "text/plain", func() io.Reader { return strings.NewReader("{}") }, nil, 400, "basic_api", "Wrong content type"},
		{"chunked body", "/API/GetNewSession", "application/json", func() io.Reader { return io.MultiReader(strings.NewReader("{}")) }, nil, 400, "basic_api", "bad content length"},
		{"empty body", "/API/GetNewSession", "application/json", func() io.Reader { return strings.NewReader("") }, nil, 400, "basic_api", "bad content length"},
		{"broken json", "/API/GetNewSession", "application/json", func() io.Reader { return strings.NewReader("{nope") }, nil, 400, "internal_error", "An internal error occurred"},
		{"missing session", "/API/ListModels", "application/json", func() io.Reader { return strings.NewReader(`{"path":"","depth":2}`) }, nil, 400, "basic_api", "missing session id"},
		{"unknown session", "/API/ListModels", "application/json", func() io.Reader { return strings.NewReader(`{"session_id":"abc","path":"","depth":2}`) }, nil, 401, "invalid_session_id", "Invalid session ID. You may need to refresh the page."},
		{"unknown route", "/API/NoSuchRoute", "application/json", func() io.Reader { return strings.NewReader(`{"session_id":"` + sid + `"}`) }, nil, 400, "bad_route", "Unknown API route"},
		{"websocket route over http", "/API/GenerateText2ImageWS", "application/json", func() io.Reader { return strings.NewReader(`{"session_id":"` + sid + `"}`) }, nil, 400, "bad_request_method", "API route needs websocket, request is HTTP"},
		{"missing images", "/API/GenerateText2Image", "application/json", func() io.Reader { return strings.NewReader(`{"session_id":"` + sid + `","prompt":"x"}`) }, nil, 200, "", "Missing required parameter 'images'"},
		{"missing model", "/API/GenerateText2Image", "application/json", func() io.Reader { return strings.NewReader(`{"session_id":"` + sid + `","images":1}`) }, nil, 200, "", "No model input given. Did your UI load properly?"},
		{"bad width", "/API/GenerateText2Image", "application/json", func() io.Reader {
			return strings.NewReader(`{"session_id":"` + sid + `","images":1,"model":"sd3.5_large","width":"wide"}`)
		}, nil, 200, "", "Invalid integer value for param Width - 'wide' - must be a valid integer (eg '0', '3', '-5', etc)"},
		{"missing depth", "/API/ListModels", "application/json", func() io.Reader { return strings.NewReader(`{"session_id":"` + sid + `","path":""}`) }, nil, 200, "", "Missing required parameter 'depth'"},
		{"bad subtype", "/API/ListModels", "application/json", func() io.Reader {
			return strings.NewReader(`{"session_id":"` + sid + `","path":"","depth":2,"subtype":"Nope"}`)
		}, nil, 200, "", "Invalid sub-type."},
		{"session in header, lowercase route", "/api/listmodels", "application/json", func() io.Reader { return strings.NewReader(`{"path":"","depth":"2"}`) }, http.Header{"X-Session-Id": {sid}}, 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out, _ := rawPost(t, ts, tt.path, tt.ct, tt.body(), tt.hdr)
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d (%v)", status, tt.wantStatus, out)
			}
			if got, _ := out["error_id"].(string); got != tt.wantID {
				t.Errorf("error_id = %q, want %q", got, tt.wantID)
			}
			if got, _ := out["error"].(string); got != tt.wantError {
				t.Errorf("error = %q, want %q", got, tt.wantError)
			}
		})
	}
}

func TestGetRedirects(t *testing.T) {
	_, ts := newSim(t, swarmsim.Options{})
	for path, want := range map[string]string{"/API/GetNewSession": "/Error/NoGetAPI", "/": "/Text2Image"} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		status, _, hdr := doJSON(t, ts, req)
		if status != http.StatusFound || hdr.Get("Location") != want {
			t.Errorf("GET %s = %d → %q, want 302 → %q", path, status, hdr.Get("Location"), want)
		}
	}
}

func TestViewErrors(t *testing.T) {
	_, ts := newSim(t, swarmsim.Options{})
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/View/local/raw/2024-01-01/1-nothing.png", nil)
	status, out, _ := doJSON(t, ts, req)
	if status != 404 || out["error_id"] != "file_not_found" || out["error"] != "404, file not found." {
		t.Errorf("missing image: %d %v", status, out)
	}
}

func TestStartupDelay(t *testing.T) {
	const delay = 150 * time.Millisecond
	start := time.Now()
	_, ts := newSim(t, swarmsim.Options{StartupDelay: delay})
	status, _, _ := rawPost(t, ts, "/API/GetNewSession", "application/json", strings.NewReader("{}"), nil)
	if status != http.StatusServiceUnavailable {
		t.Fatalf("during startup: status %d, want 503", status)
	}
	waitFor(t, 5*time.Second, "startup to end", func() bool {
		status, _, _ := rawPost(t, ts, "/API/GetNewSession", "application/json", strings.NewReader("{}"), nil)
		return status == http.StatusOK
	})
	if since := time.Since(start); since < delay {
		t.Errorf("answered after %v, before the %v startup delay", since, delay)
	}
}
