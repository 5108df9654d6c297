package supervisor

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStartFailureReportsOutputAndBacksOff(t *testing.T) {
	tests := []struct {
		name    string
		command string
		want    []string
	}{
		{"command fails", "echo starting; echo boom >&2; exit 3", []string{"boom", "starting", "exit status 3"}},
		{"binary missing", "/nonexistent/swarmui/launch-linux.sh --launch_mode none", []string{"/nonexistent/swarmui/launch-linux.sh", "exit status 127"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			s := newSupervisor(t, f.config(t, tt.command))
			start := time.Now()
			err := s.Ensure(t.Context(), nil)
			if !errors.Is(err, ErrStartFailed) {
				t.Fatalf("Ensure = %v, want ErrStartFailed", err)
			}
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("failure took %s; an exited command must be reported at once", elapsed)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if st := s.Status(); st.State != StateDown || !strings.Contains(st.Detail, "start failed") {
				t.Errorf("status = %+v, want down with the failure", st)
			}
			// The next caller within the backoff gets the reason at once.
			err = s.Ensure(t.Context(), func(string) { t.Error("onStarting called during backoff") })
			if !errors.Is(err, ErrBackoff) || !errors.Is(err, ErrStartFailed) || !strings.Contains(err.Error(), "next try in") {
				t.Fatalf("Ensure during backoff = %v, want ErrBackoff wrapping the start failure", err)
			}
			if st := s.Status(); st.Starts != 1 {
				t.Fatalf("starts = %d, want 1 (no start during backoff)", st.Starts)
			}
		})
	}
}

func TestStartAgainAfterBackoff(t *testing.T) {
	f := newFixture(t)
	cfg := f.config(t, "echo boom >&2; exit 3")
	cfg.Backoff = 300 * time.Millisecond
	s := newSupervisor(t, cfg)
	if err := s.Ensure(t.Context(), nil); !errors.Is(err, ErrStartFailed) {
		t.Fatalf("first Ensure = %v, want ErrStartFailed", err)
	}
	select {
	case <-time.After(cfg.Backoff + 50*time.Millisecond):
	case <-t.Context().Done():
	}
	err := s.Ensure(t.Context(), nil)
	if !errors.Is(err, ErrStartFailed) || errors.Is(err, ErrBackoff) {
		t.Fatalf("Ensure after backoff = %v, want a fresh ErrStartFailed", err)
	}
	if st := s.Status(); st.Starts != 2 {
		t.Fatalf("starts = %d, want 2", st.Starts)
	}
}

func TestStartupTimeoutStopsProcessGroup(t *testing.T) {
	f := newFixture(t)
	cfg := f.config(t, f.command(t, time.Minute))
	// Long enough for the re-executed test binary to start and print its
	// pid on a loaded 2-core machine (500 ms was not).
	cfg.StartupTimeout = 2 * time.Second
	s := newSupervisor(t, cfg)
	start := time.Now()
	err := s.Ensure(t.Context(), nil)
	if !errors.Is(err, ErrStartFailed) {
		t.Fatalf("Ensure = %v, want ErrStartFailed", err)
	}
	if elapsed := time.Since(start); elapsed < cfg.StartupTimeout || elapsed > 6*time.Second {
		t.Errorf("Ensure took %s, want about the startup timeout %s", elapsed, cfg.StartupTimeout)
	}
	for _, w := range []string{"did not answer within 2s", "fake swarmui pid", "connection refused"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	pids := f.pids(t)
	if len(pids) != 1 {
		t.Fatalf("pids = %v, want one", pids)
	}
	if alive(pids[0]) {
		t.Fatalf("timed-out pid %d still exists", pids[0])
	}
	if err := s.Ensure(t.Context(), nil); !errors.Is(err, ErrBackoff) {
		t.Fatalf("Ensure within backoff = %v, want ErrBackoff", err)
	}
	if got := len(f.pids(t)); got != 1 {
		t.Fatalf("%d processes started, want 1", got)
	}
}

// silentListener accepts connections and never answers, like a hung server.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

func TestForeignListenerIsLeftAlone(t *testing.T) {
	foreign := []string{"something else is listening on ", "does not answer like SwarmUI", "not touching it"}
	tests := []struct {
		name   string
		listen func(t *testing.T) string
		want   []string
	}{
		{"accepts but never answers", silentListener, append(foreign, "no answer within")},
		{"answers 404 HTML", func(t *testing.T) string {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprint(w, "<html><body><h1>404 Not Found</h1></body></html>")
			}))
			t.Cleanup(srv.Close)
			return srv.Listener.Addr().String()
		}, append(foreign, "HTTP 404")},
		{"SwarmUI started elsewhere without ComfyUI", func(t *testing.T) string {
			srv := httptest.NewServer(fakeSwarm(t))
			t.Cleanup(srv.Close)
			return srv.Listener.Addr().String()
		}, []string{"answers but was not started by this server", "ComfyUI: ", "not touching it"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.swarmAddr = tt.listen(t)
			s := newSupervisor(t, f.config(t, f.command(t, 0)))
			err := s.Ensure(t.Context(), func(string) { t.Error("onStarting called for a foreign port") })
			if !errors.Is(err, ErrForeign) {
				t.Fatalf("Ensure = %v, want ErrForeign", err)
			}
			for _, w := range append(tt.want, f.swarmAddr) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if st := s.Status(); st.Starts != 0 || st.State != StateDown {
				t.Errorf("status = %+v, want down with no start", st)
			}
			if pids := f.pids(t); len(pids) != 0 {
				t.Errorf("started %v for a foreign port", pids)
			}
			conn, err := net.DialTimeout("tcp", f.swarmAddr, time.Second)
			if err != nil {
				t.Fatalf("foreign listener gone after Ensure: %v", err)
			}
			conn.Close()
		})
	}
}

func TestCannotStart(t *testing.T) {
	tests := []struct {
		name      string
		autoStart bool
		command   string
		want      []string
	}{
		{"auto-start off", false, "true", []string{"SwarmUI is not running", "SWARMUI_AUTO_START=false", "connection refused"}},
		{"no start command", true, "  ", []string{"SwarmUI is not running", "SWARMUI_START_COMMAND is not set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			cfg := f.config(t, tt.command)
			cfg.AutoStart = tt.autoStart
			s := newSupervisor(t, cfg)
			err := s.Ensure(t.Context(), nil)
			if !errors.Is(err, ErrNotRunning) {
				t.Fatalf("Ensure = %v, want ErrNotRunning", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if st := s.Status(); st.State != StateDown || st.Starts != 0 {
				t.Errorf("status = %+v, want down, no start", st)
			}
		})
	}
}
