package supervisor

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestMessagesHideURLCredentials checks that the credentials in a backend
// URL reach neither the status detail (GET /api/backends, logs) nor the
// errors Ensure returns (run error events).
func TestMessagesHideURLCredentials(t *testing.T) {
	withCreds := func(u string) string { return strings.Replace(u, "http://", "http://alice:s3cret@", 1) }
	closed := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln.Close()
		return "http://" + ln.Addr().String()
	}
	serve := func(t *testing.T, h http.Handler) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	fail := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "500 Internal Server Error", http.StatusInternalServerError)
	})
	cases := []struct {
		name         string
		swarm, comfy func(t *testing.T) string
		autoStart    bool
		want         string
	}{
		{"HTTP errors", func(t *testing.T) string { return serve(t, fail) }, func(t *testing.T) string { return serve(t, fail) }, false, "HTTP 500"},
		{"not reachable", closed, closed, false, "refused"},
		{"no answer", func(t *testing.T) string { return serve(t, http.HandlerFunc(hang)) }, closed, false, "no answer within"},
		{"foreign SwarmUI", func(t *testing.T) string { return serve(t, fakeSwarm(t)) }, func(t *testing.T) string { return serve(t, fail) }, true, "not started by this server"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSupervisor(t, Config{
				SwarmURL: withCreds(tc.swarm(t)), ComfyURL: withCreds(tc.comfy(t)),
				AutoStart: tc.autoStart, StartCommand: "true", ProbeTimeout: 200 * time.Millisecond,
			})
			st := s.Check(t.Context())
			err := s.Ensure(t.Context(), nil)
			if err == nil {
				t.Fatal("Ensure succeeded against failing backends")
			}
			for _, msg := range []string{st.Detail, err.Error()} {
				if strings.Contains(msg, "alice") || strings.Contains(msg, "s3cret") {
					t.Errorf("message holds the URL's credentials: %s", msg)
				}
			}
			if !strings.Contains(st.Detail+" "+err.Error(), tc.want) {
				t.Errorf("messages %q and %q do not say %q", st.Detail, err, tc.want)
			}
		})
	}
}
