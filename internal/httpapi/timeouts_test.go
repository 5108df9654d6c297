package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSlowClientsAreCut checks that every way of holding a connection
// without making progress ends within its bound, and not before it.
func TestSlowClientsAreCut(t *testing.T) {
	const bound = 300 * time.Millisecond
	cases := []struct {
		name    string
		t       Timeouts
		request string
		drip    bool // send one more body byte every bound/3
		keep    time.Duration
		answer  string // the start of the answer, if one is due
	}{
		{"headers started, then nothing", Timeouts{Header: bound}, "POST /api/runs HTTP/1.1\r\nHost: x\r\n", false, bound, ""},
		{"JSON body started, then nothing", Timeouts{Body: bound},
			"POST /api/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", false, bound, "HTTP/1.1 408 "},
		{"JSON body dripping a byte at a time", Timeouts{Body: bound},
			"POST /api/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", true, bound, ""},
		{"upload started, then nothing: the upload bound applies", Timeouts{Body: bound / 3, Upload: bound},
			"POST /api/uploads HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n", false, bound, ""},
		{"idle keep-alive connection", Timeouts{Idle: bound}, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", false, bound, "HTTP/1.1 200 "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := serveTest(t, Config{Timeouts: tc.t})
			// The server's clock may start as soon as it accepts, before
			// Dial returns here: start counting before dialling.
			start := time.Now()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tc.request); err != nil {
				t.Fatal(err)
			}
			stopDrip := make(chan struct{})
			defer close(stopDrip)
			if tc.drip {
				go func() {
					tick := time.NewTicker(bound / 3)
					defer tick.Stop()
					for {
						select {
						case <-stopDrip:
							return
						case <-tick.C:
							if _, err := conn.Write([]byte(" ")); err != nil {
								return
							}
						}
					}
				}()
			}
			closed := make(chan struct{})
			var answer bytes.Buffer
			go func() {
				_, _ = io.Copy(&answer, conn)
				close(closed)
			}()
			select {
			case <-closed:
			case <-time.After(tc.keep + 3*time.Second):
				t.Fatalf("connection still open after %s, want it closed after about %s", time.Since(start).Round(time.Millisecond), tc.keep)
			}
			if held := time.Since(start); held < tc.keep {
				t.Fatalf("connection closed after %s, before its bound %s", held, tc.keep)
			}
			if !strings.HasPrefix(answer.String(), tc.answer) {
				t.Fatalf("answer %q, want one starting %q", answer.String(), tc.answer)
			}
		})
	}
}

// TestSlowReaderIsCut checks the write deadline: a client that never reads a
// large response fails the handler's write within the bound.
func TestSlowReaderIsCut(t *testing.T) {
	const bound = 300 * time.Millisecond
	writeErr := make(chan error, 1)
	big := bytes.Repeat([]byte("x"), 1<<20)
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range 256 { // far more than the socket buffers hold
			if _, err := w.Write(big); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- nil
	})
	addr := serveTest(t, Config{Web: web, Timeouts: Timeouts{Write: bound}})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-writeErr:
		if !errors.Is(err, net.ErrClosed) && (err == nil || !strings.Contains(err.Error(), "timeout")) {
			t.Fatalf("write error %v, want a timeout", err)
		}
		if held := time.Since(start); held < bound {
			t.Fatalf("write failed after %s, before its bound %s", held, bound)
		}
	case <-time.After(bound + 5*time.Second):
		t.Fatal("the handler is still writing to a client that does not read")
	}
}

func TestTimeoutDefaults(t *testing.T) {
	got := New(Config{Timeouts: Timeouts{Body: time.Second}}).cfg.Timeouts
	want := Timeouts{Header: 10 * time.Second, Body: time.Second, Upload: 5 * time.Minute, Write: 2 * time.Minute, Idle: time.Minute}
	if got != want {
		t.Fatalf("timeouts %+v, want %+v", got, want)
	}
	srv := New(Config{}).HTTPServer()
	if srv.ReadHeaderTimeout != 10*time.Second || srv.IdleTimeout != time.Minute || srv.ReadTimeout != 0 || srv.WriteTimeout != 0 {
		t.Fatalf("http.Server timeouts: header %s idle %s read %s write %s", srv.ReadHeaderTimeout, srv.IdleTimeout, srv.ReadTimeout, srv.WriteTimeout)
	}
}

// serveTest serves New(cfg) through HTTPServer on a loopback port.
func serveTest(t *testing.T, cfg Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := New(cfg).HTTPServer()
	done := make(chan struct{})
	go func() {
		_ = srv.Serve(ln)
		close(done)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return ln.Addr().String()
}
