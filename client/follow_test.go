package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ai4artsed/ai4artsed/api"
)

// sseServer answers the i-th connection to a run's events with conns[i]
// (the last one repeats) and records each connection's Last-Event-ID.
type sseServer struct {
	*httptest.Server
	mu       sync.Mutex
	lastIDs  []string
	conns    []func(w http.ResponseWriter, r *http.Request)
	runState api.RunState
}

func newSSEServer(t *testing.T, conns ...func(w http.ResponseWriter, r *http.Request)) *sseServer {
	t.Helper()
	s := &sseServer{conns: conns, runState: api.StateRunning}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/runs/{id}/events", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		i := min(len(s.lastIDs), len(s.conns)-1)
		s.lastIDs = append(s.lastIDs, r.Header.Get("Last-Event-ID"))
		s.mu.Unlock()
		s.conns[i](w, r)
	})
	mux.HandleFunc("GET /api/runs/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"run_id":%q,"state":%q}`, r.PathValue("id"), s.runState)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *sseServer) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lastIDs...)
}

// stream writes an SSE head and the given raw text, flushed.
func stream(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	fmt.Fprint(w, text)
	http.NewResponseController(w).Flush()
}

// ev is one stored event as the server writes it.
func ev(seq int64, typ api.EventType, data string) string {
	return fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", seq, typ, data)
}

const (
	runEv   = `{"run_id":"r1","state":"running"}`
	chunkEv = `{"stage":2,"text":"a"}`
	doneEv  = `{"state":"done","ms":5}`
)

// seqs lists the events' "seq:type" for comparison.
func seqs(evs []api.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%d:%s", e.Seq, e.Type))
	}
	return out
}

func testClient(s *httptest.Server) *Client {
	return New(s.URL, s.Client(), WithRetry(4, time.Millisecond))
}

func TestFollowResumesWithLastEventID(t *testing.T) {
	all := []string{ev(1, api.EventRun, runEv), ev(2, api.EventChunk, chunkEv), ev(3, api.EventChunk, chunkEv), ev(4, api.EventDone, doneEv)}
	cases := []struct {
		name    string
		conns   []func(http.ResponseWriter, *http.Request)
		wantIDs []string
	}{
		{"cut mid-event after two events", []func(http.ResponseWriter, *http.Request){
			func(w http.ResponseWriter, r *http.Request) {
				stream(w, all[0]+": ping\n\n"+all[1]+"event: queue_status\ndata: {}\n\nid: 3\nevent: chu")
				panic(http.ErrAbortHandler) // the connection drops
			},
			func(w http.ResponseWriter, r *http.Request) { stream(w, all[2]+all[3]) },
		}, []string{"", "2"}},
		{"clean end before done, then a server that repeats an event", []func(http.ResponseWriter, *http.Request){
			func(w http.ResponseWriter, r *http.Request) { stream(w, all[0]) },
			func(w http.ResponseWriter, r *http.Request) { stream(w, all[0]+all[1]+all[2]) },
			func(w http.ResponseWriter, r *http.Request) { stream(w, all[3]) },
		}, []string{"", "1", "3"}},
		{"a 503 in between is retried", []func(http.ResponseWriter, *http.Request){
			func(w http.ResponseWriter, r *http.Request) { stream(w, all[0]+all[1]) },
			func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(503)
				fmt.Fprint(w, `{"error":{"code":"shutting_down","message":"restarting"}}`)
			},
			func(w http.ResponseWriter, r *http.Request) { stream(w, all[2]+all[3]) },
		}, []string{"", "2", "2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newSSEServer(t, tc.conns...)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			evs, err := testClient(srv.Server).Wait(ctx, "r1")
			if err != nil {
				t.Fatal(err)
			}
			var stored []api.Event
			for _, e := range evs {
				if e.Seq > 0 {
					stored = append(stored, e)
				}
			}
			if got, want := seqs(stored), []string{"1:run", "2:chunk", "3:chunk", "4:done"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("events %v, want each once: %v", got, want)
			}
			if got := srv.ids(); !reflect.DeepEqual(got, tc.wantIDs) {
				t.Fatalf("Last-Event-IDs %q, want %q", got, tc.wantIDs)
			}
			if p, err := evs[len(evs)-1].Decode(); err != nil || p.(api.DoneEvent).State != api.StateDone {
				t.Fatalf("last event %v %v", p, err)
			}
		})
	}
}

func TestFollowStartsAfterTheGivenSeq(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request) { stream(w, ev(6, api.EventDone, doneEv)) })
	var got []api.Event
	err := testClient(srv.Server).Follow(t.Context(), "r1", 5, func(e api.Event) error { got = append(got, e); return nil })
	if err != nil || len(got) != 1 || !reflect.DeepEqual(srv.ids(), []string{"5"}) {
		t.Fatalf("err %v, events %v, Last-Event-IDs %q", err, seqs(got), srv.ids())
	}
}

func TestFollowErrors(t *testing.T) {
	stop := errors.New("enough")
	cases := []struct {
		name  string
		conn  func(http.ResponseWriter, *http.Request)
		state api.RunState
		fn    func(api.Event) error
		check func(t *testing.T, err error)
		conns int
	}{
		{"unknown run is an *Error at once", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(404)
			fmt.Fprint(w, `{"error":{"code":"not_found","message":"Nothing with id \"r1\" exists."}}`)
		}, api.StateRunning, nil, func(t *testing.T, err error) {
			var e *Error
			if !errors.As(err, &e) || e.Status != 404 || e.Code != api.CodeNotFound || e.Message == "" {
				t.Fatalf("err = %#v", err)
			}
		}, 1},
		{"an HTML page is a bad answer", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html>proxy</html>")
		}, api.StateRunning, nil, func(t *testing.T, err error) {
			if !errors.Is(err, ErrBadAnswer) {
				t.Fatalf("err = %v", err)
			}
		}, 1},
		{"fn's error stops and is returned", func(w http.ResponseWriter, r *http.Request) {
			stream(w, ev(1, api.EventRun, runEv)+ev(2, api.EventDone, doneEv))
		}, api.StateRunning, func(api.Event) error { return stop }, func(t *testing.T, err error) {
			if err != stop {
				t.Fatalf("err = %v, want fn's error", err)
			}
		}, 1},
		{"gives up on a stream that never brings news", func(w http.ResponseWriter, r *http.Request) {
			stream(w, ": ping\n\n")
		}, api.StateRunning, nil, func(t *testing.T, err error) {
			if err == nil {
				t.Fatal("no error")
			}
		}, 4},
		{"a finished run without done ends cleanly", func(w http.ResponseWriter, r *http.Request) {
			stream(w, "")
		}, api.StateInterrupted, nil, func(t *testing.T, err error) {
			if err != nil {
				t.Fatal(err)
			}
		}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newSSEServer(t, tc.conn)
			srv.runState = tc.state
			fn := tc.fn
			if fn == nil {
				fn = func(api.Event) error { return nil }
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			tc.check(t, testClient(srv.Server).Follow(ctx, "r1", 0, fn))
			if n := len(srv.ids()); n != tc.conns {
				t.Fatalf("%d connections, want %d", n, tc.conns)
			}
		})
	}
}

func TestFollowStopsWithContextAndLeaksNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request) {
		stream(w, ev(1, api.EventRun, runEv))
		<-r.Context().Done() // a run that goes on and on
	})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := New(srv.URL, &http.Client{Transport: tr})
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan api.Event, 1)
	errc := make(chan error, 1)
	go func() { errc <- c.Follow(ctx, "r1", 0, func(e api.Event) error { got <- e; return nil }) }()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no first event")
	}
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Follow did not return after cancel")
	}
	srv.Close()
}
