package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRoutesWithoutBackends(t *testing.T) {
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ui")) })
	srv := httptest.NewServer(New(Config{Web: web, AdminToken: "s3cret"}))
	defer srv.Close()
	cases := []struct {
		name, method, path, auth string
		status                   int
		code                     string
	}{
		{"ui", "GET", "/", "", 200, ""},
		{"ui refuses POST", "POST", "/", "", 405, "method_not_allowed"},
		{"unknown api route", "GET", "/api/nope", "", 404, "not_found"},
		{"health", "GET", "/healthz", "", 200, ""},
		{"backends without lister", "GET", "/api/backends", "", 200, ""},
		{"profiles need a token", "GET", "/debug/pprof/", "", 401, "unauthorized"},
		{"profiles refuse a wrong token", "GET", "/debug/pprof/", "Bearer nope", 403, "forbidden"},
		{"profiles with the token", "GET", "/debug/pprof/", "Bearer s3cret", 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.code == "" {
				return
			}
			var body errorBody
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Error.Code != tc.code {
				t.Fatalf("error body %+v (%v), want code %s", body, err, tc.code)
			}
		})
	}
}

func TestAdminRoutesOffWithoutToken(t *testing.T) {
	srv := httptest.NewServer(New(Config{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("profiles without an admin token: %d", resp.StatusCode)
	}
}

func TestIsJSON(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json": true, "application/json; charset=utf-8": true, "Application/JSON": true,
		"text/plain": false, "": false, "application/jsonx": false, "multipart/form-data; boundary=x": false,
	} {
		if got := isJSON(ct); got != want {
			t.Errorf("isJSON(%q) = %v", ct, got)
		}
	}
}

func TestPanicInHandlerIsAJSONError(t *testing.T) {
	s := New(Config{})
	h := s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"internal_error"`) || strings.Contains(rec.Body.String(), "boom") {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
}
