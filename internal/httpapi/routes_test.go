package httpapi

import (
	"encoding/json"
	"github.com/ai4artsed/ai4artsed/api"
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
		allow                    string
		header                   map[string]string
	}{
		{"ui", "GET", "/", "", 200, "", "", nil},
		{"ui refuses POST", "POST", "/", "", 405, "method_not_allowed", "GET, HEAD", nil},
		{"unknown api route", "GET", "/api/nope", "", 404, "not_found", "", nil},
		{"PUT on a run", "PUT", "/api/runs/abc", "", 405, "method_not_allowed", "GET, HEAD", nil},
		{"DELETE on runs", "DELETE", "/api/runs", "", 405, "method_not_allowed", "POST", nil},
		{"OPTIONS on uploads", "OPTIONS", "/api/uploads", "", 405, "method_not_allowed", "POST", nil},
		{"GET on cancel", "GET", "/api/runs/abc/cancel", "", 405, "method_not_allowed", "POST", nil},
		{"cross-site upload", "POST", "/api/uploads", "", 403, "cross_origin", "", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"other origin run", "POST", "/api/runs", "", 403, "cross_origin", "", map[string]string{"Origin": "http://evil.example"}},
		{"other origin cancel", "POST", "/api/runs/abc/cancel", "", 403, "cross_origin", "", map[string]string{"Origin": "http://evil.example"}},
		{"health", "GET", "/healthz", "", 200, "", "", nil},
		{"backends without lister", "GET", "/api/backends", "", 200, "", "", nil},
		{"profiles need a token", "GET", "/debug/pprof/", "", 401, "unauthorized", "", nil},
		{"profiles refuse a wrong token", "GET", "/debug/pprof/", "Bearer nope", 403, "forbidden", "", nil},
		{"profiles with the token", "GET", "/debug/pprof/", "Bearer s3cret", 200, "", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
			if tc.code == "" {
				return
			}
			var body api.ErrorBody
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || string(body.Error.Code) != tc.code {
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

func TestErrorMessagesFollowTheRequestLanguage(t *testing.T) {
	cases := []struct {
		accept, server, want string
	}{
		{"", "de", "Diese Adresse gibt es nicht"},
		{"", "en", "No such route"},
		{"en-US,en;q=0.9", "de", "No such route"},
		{"fr-FR, de;q=0.5, en;q=0.8", "de", "No such route"},
		{"de-AT", "en", "Diese Adresse gibt es nicht"},
		{"fr", "en", "No such route"},
	}
	for _, tc := range cases {
		s := New(Config{Language: tc.server})
		req := httptest.NewRequest("GET", "/api/nope", nil)
		if tc.accept != "" {
			req.Header.Set("Accept-Language", tc.accept)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("Accept-Language %q, server %s: %s, want %q", tc.accept, tc.server, rec.Body.String(), tc.want)
		}
	}
}

func TestSameOriginWritesPass(t *testing.T) {
	srv := httptest.NewServer(New(Config{}))
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/api/uploads", strings.NewReader("x"))
	req.Header.Set("Origin", srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Past the cross-origin check, the handler refuses the non-multipart body.
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("same-origin upload: status %d, want 400 from the handler", resp.StatusCode)
	}
}
