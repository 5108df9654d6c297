package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/client"
	"github.com/ai4artsed/ai4artsed/internal/events"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// cancelRuns is a Runs that records the runs it was asked to cancel.
type cancelRuns struct {
	recordRuns
	mu        sync.Mutex
	cancelled []string
}

func (c *cancelRuns) Cancel(_ context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancelled = append(c.cancelled, id)
	return nil
}

// classEnv is a workshop server with a real hub on its SQLite store,
// served over HTTP, with a workshop of ana's and a joined device.
type classEnv struct {
	*workshopEnv
	hub    *events.Hub
	srv    *httptest.Server
	runs   *cancelRuns
	ws     api.Workshop
	dev    *http.Cookie // the student's device cookie
	device string       // its device id
}

func newClassEnv(t *testing.T, poll time.Duration, signal Signal) *classEnv {
	t.Helper()
	e := &classEnv{workshopEnv: newWorkshopEnv(t, false), runs: &cancelRuns{}}
	e.hub = events.NewHub(e.db)
	e.s.cfg.Hub, e.s.cfg.Store, e.s.cfg.Class, e.s.cfg.Pipeline = e.hub, e.db, e.db, e.runs
	e.s.cfg.ClassPoll, e.s.cfg.Signal, e.s.cfg.Ping = poll, signal, time.Hour
	e.ws = e.create(t, api.WorkshopRequest{Name: "Klasse 7b", Interceptions: []string{"dada"},
		Limits: api.WorkshopLimits{GenerationsPerHour: 30, RunsPerHour: 5}})
	e.dev, _ = e.join(t, e.ws.Code)
	var ok bool
	if e.device, ok = e.s.devices.Open(e.dev.Value); !ok {
		t.Fatal("device cookie does not open")
	}
	e.srv = httptest.NewServer(e.s)
	t.Cleanup(func() { e.s.CloseStreams(); e.srv.Close() })
	return e
}

// teacher is a client of the server with a teacher's session cookie.
func (e *classEnv) teacher(t *testing.T, session *http.Cookie) *client.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(e.srv.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: session.Name, Value: session.Value, Path: "/"}})
	return client.New(e.srv.URL, &http.Client{Jar: jar})
}

// publishRun stores a run of the device as another process would: through
// its own hub on the same store, so this server's hub knows nothing of it.
func (e *classEnv) publishRun(t *testing.T, other *events.Hub, id string, at time.Time, ps ...api.Payload) {
	t.Helper()
	ctx := context.Background()
	other.Open(id)
	r := &store.Run{ID: id, ClientID: "d:" + e.device, Stages: "interception", Lang: "de",
		Input: json.RawMessage(`{"stages":"interception","prompt":"ein Drache","interception":"dada"}`), CreatedAt: at, UpdatedAt: at}
	if err := e.db.CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	e.more(t, other, id, ps...)
}

func (e *classEnv) more(t *testing.T, h *events.Hub, id string, ps ...api.Payload) {
	t.Helper()
	for _, p := range ps {
		if _, err := h.Publish(context.Background(), id, p); err != nil {
			t.Fatal(err)
		}
		if d, ok := p.(api.DoneEvent); ok {
			if err := e.db.SetRunState(context.Background(), id, store.State(d.State), "", ""); err != nil {
				t.Fatal(err)
			}
			h.Close(id)
		}
	}
}

// stream follows the class view in the background; events arrive on the
// returned channel, decoded.
type stream struct {
	events chan api.Payload
	done   chan error
	stop   context.CancelFunc
}

func follow(t *testing.T, c *client.Client, id string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &stream{events: make(chan api.Payload, 100), done: make(chan error, 1), stop: cancel}
	go func() {
		s.done <- c.Class(ctx, id, func(e api.Event) error {
			p, err := e.DecodeClass()
			if err != nil {
				return err
			}
			s.events <- p
			return nil
		})
	}()
	t.Cleanup(cancel)
	return s
}

// next waits for the next event that satisfies ok, skipping others.
func (s *stream) next(t *testing.T, what string, ok func(api.Payload) bool) api.Payload {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case p := <-s.events:
			if ok(p) {
				return p
			}
		case err := <-s.done:
			t.Fatalf("waiting for %s: the stream ended: %v", what, err)
		case <-timeout:
			t.Fatalf("waiting for %s: timed out", what)
		}
	}
}

func runIs(id string, cond func(api.ClassRun) bool) func(api.Payload) bool {
	return func(p api.Payload) bool {
		c, ok := p.(api.ClassRun)
		return ok && c.RunID == id && cond(c)
	}
}

// TestClassViewFindsRunsOfOtherProcesses: without a signal, the view
// finds a run stored by another process by looking at the store, and
// follows it to its end through the store; the snapshot holds a blocked run
// with its reason; a pause with a message reaches the view; leaving ends
// every follower.
func TestClassViewFindsRunsOfOtherProcesses(t *testing.T) {
	e := newClassEnv(t, 50*time.Millisecond, nil)
	other := events.NewHub(e.db)
	t0 := time.Now().UTC()
	e.publishRun(t, other, "r0", t0,
		api.RunEvent{RunID: "r0", State: api.StateQueued}, api.RunEvent{RunID: "r0", State: api.StateRunning},
		api.StageEvent{Stage: 1, Name: "safety", Status: api.StageStarted},
		api.SafetyEvent{Stage: 1, Verdict: api.VerdictBlocked, Reason: "Gewalt ist hier nicht erlaubt.", Checks: []string{"judge"}},
		api.ErrorEvent{Code: api.CodeBlocked, Message: "gestoppt"}, api.DoneEvent{State: api.StateBlocked, MS: 12})

	s := follow(t, e.teacher(t, e.ana), e.ws.ID)
	first := s.next(t, "the workshop", func(api.Payload) bool { return true })
	ws, ok := first.(api.ClassWorkshop)
	if !ok || ws.ID != e.ws.ID || ws.Paused || ws.Quota.GenerationsPerHour != 30 || ws.Quota.GenerationsLeft == nil || *ws.Quota.GenerationsLeft != 30 {
		t.Fatalf("first event %#v, want the workshop with its quota", first)
	}
	snap, ok := s.next(t, "the snapshot", func(api.Payload) bool { return true }).(api.ClassSnapshot)
	if !ok || len(snap.Runs) != 1 {
		t.Fatalf("snapshot %#v, want r0", snap)
	}
	r0 := snap.Runs[0]
	if r0.RunID != "r0" || r0.State != api.StateBlocked || !r0.Blocked() || r0.Nickname != "Blauer Wal" || r0.Device != e.device ||
		r0.Prompt != "ein Drache" || len(r0.Verdicts) != 1 || r0.Verdicts[0].Reason != "Gewalt ist hier nicht erlaubt." ||
		r0.Error == nil || r0.Error.Code != api.CodeBlocked || r0.MS != 12 {
		t.Errorf("snapshot run %+v", r0)
	}

	// Another process starts r1: found by the look at the store, then
	// followed through the store to its end.
	e.publishRun(t, other, "r1", time.Now().UTC(), api.RunEvent{RunID: "r1", State: api.StateQueued})
	s.next(t, "r1 queued", runIs("r1", func(c api.ClassRun) bool { return c.State == api.StateQueued }))
	e.more(t, other, "r1", api.RunEvent{RunID: "r1", State: api.StateRunning},
		api.StageEvent{Stage: 2, Name: "interception", Status: api.StageStarted},
		api.ChunkEvent{Stage: 2, Text: "Ein "},
		api.TextEvent{Stage: 2, Text: "Ein Drache aus Papier"},
		api.StageEvent{Stage: 2, Name: "interception", Status: api.StageDone},
		api.DoneEvent{State: api.StateDone, MS: 40})
	done := s.next(t, "r1 done", runIs("r1", func(c api.ClassRun) bool { return c.State == api.StateDone })).(api.ClassRun)
	if len(done.Texts) != 1 || done.Texts[0].Text != "Ein Drache aus Papier" || done.Stage == nil || done.Stage.Status != api.StageDone {
		t.Errorf("r1 at its end: %+v", done)
	}

	// A pause with a message.
	w := do(t, e.s, "POST", "/api/teacher/workshops/"+e.ws.ID+"/pause", body(`{"message":"Kurze Pause, schaut nach vorn!"}`), withCookie(e.ana))
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"pause_message":"Kurze Pause, schaut nach vorn!"`) {
		t.Fatalf("pause: %d %s", w.Code, w.Body)
	}
	s.next(t, "the paused workshop", func(p api.Payload) bool {
		ws, ok := p.(api.ClassWorkshop)
		return ok && ws.Paused && ws.PauseMessage == "Kurze Pause, schaut nach vorn!"
	})

	s.stop()
	select {
	case err := <-s.done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the stream ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end when the client left")
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.hub.Subscribers() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d followers left after the client left", e.hub.Subscribers())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClassViewSignal: with a signal and no polling to speak of, a run
// started in this process shows up at once and is followed live; the
// observer does not keep the run watched.
func TestClassViewSignal(t *testing.T) {
	sig := events.NewSignal()
	e := newClassEnv(t, time.Hour, sig)
	s := follow(t, e.teacher(t, e.ana), e.ws.ID)
	s.next(t, "the snapshot", func(p api.Payload) bool { _, ok := p.(api.ClassSnapshot); return ok })

	e.publishRun(t, e.hub, "r1", time.Now().UTC(), api.RunEvent{RunID: "r1", State: api.StateQueued})
	sig.Notify(e.ws.ID)
	s.next(t, "r1 queued", runIs("r1", func(c api.ClassRun) bool { return c.State == api.StateQueued }))
	e.more(t, e.hub, "r1", api.QueueStatusEvent{Status: api.QueueWaiting, Position: 4, Message: "m"})
	s.next(t, "r1 waiting 4th", runIs("r1", func(c api.ClassRun) bool { return c.Queue != nil && c.Queue.Position == 4 }))
	if e.hub.Subscribers() != 1 || !waitUnwatched(e.hub, "r1") {
		t.Errorf("the class view watches r1: subscribers %d, unwatched %v", e.hub.Subscribers(), e.hub.Unwatched("r1"))
	}
	e.more(t, e.hub, "r1", api.QueueStatusEvent{Status: api.QueueAcquired},
		api.MediaEvent{MediaID: "m1", URL: "/api/media/m1", Mime: "image/png", Width: 8, Height: 8},
		api.DoneEvent{State: api.StateDone})
	c := s.next(t, "r1 done", runIs("r1", func(c api.ClassRun) bool { return c.State == api.StateDone })).(api.ClassRun)
	if c.Queue != nil || len(c.Media) != 1 || c.Media[0].URL != "/api/media/m1" {
		t.Errorf("r1 done: %+v", c)
	}
}

// waitUnwatched waits a moment for a run's idle time to show (the clock
// must move past the topic's opening).
func waitUnwatched(h *events.Hub, id string) bool {
	for range 50 {
		if h.Unwatched(id) > 0 {
			return true
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}

func TestClassViewRoutesAreTheTeachers(t *testing.T) {
	e := newClassEnv(t, time.Hour, nil)
	other := events.NewHub(e.db)
	e.publishRun(t, other, "r1", time.Now().UTC(), api.RunEvent{RunID: "r1", State: api.StateQueued})
	// A run of a browser that joined no workshop.
	if err := e.db.CreateRun(context.Background(), &store.Run{ID: "free", ClientID: "c:x", Stages: "interception"}); err != nil {
		t.Fatal(err)
	}
	path := "/api/teacher/workshops/" + e.ws.ID
	for _, tc := range []struct {
		name, method, path string
		cookie             *http.Cookie
		status             int
	}{
		{"live of another teacher", "GET", path + "/live", e.bo, 404},
		{"cancel by another teacher", "POST", path + "/runs/r1/cancel", e.bo, 404},
		{"cancel a run of no workshop", "POST", path + "/runs/free/cancel", e.ana, 404},
		{"cancel an unknown run", "POST", path + "/runs/nope/cancel", e.ana, 404},
		{"cancel own", "POST", path + "/runs/r1/cancel", e.ana, 202},
		{"a student's cookie is no session", "GET", path + "/live", e.dev, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if w := do(t, e.s, tc.method, tc.path, nil, withCookie(tc.cookie)); w.Code != tc.status {
				t.Errorf("%d %s, want %d", w.Code, w.Body, tc.status)
			}
		})
	}
	e.runs.mu.Lock()
	defer e.runs.mu.Unlock()
	if len(e.runs.cancelled) != 1 || e.runs.cancelled[0] != "r1" {
		t.Errorf("cancelled %v, want [r1]", e.runs.cancelled)
	}
	if err := e.teacher(t, e.bo).Class(context.Background(), e.ws.ID, func(api.Event) error { return nil }); client.StatusOf(err) != 404 {
		t.Errorf("client of another teacher: %v", err)
	}
}

func TestStudentWorkshop(t *testing.T) {
	e := newClassEnv(t, time.Hour, nil)
	if w := do(t, e.s, "GET", "/api/workshop", nil); w.Code != 404 || errCode(t, w) != api.CodeNotFound {
		t.Errorf("without a device: %d %s", w.Code, w.Body)
	}
	get := func() api.StudentWorkshop {
		t.Helper()
		w := do(t, e.s, "GET", "/api/workshop", nil, withCookie(e.dev))
		var sw api.StudentWorkshop
		if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &sw) != nil {
			t.Fatalf("student workshop: %d %s", w.Code, w.Body)
		}
		return sw
	}
	sw := get()
	if sw.Name != "Klasse 7b" || sw.Nickname != "Blauer Wal" || len(sw.Interceptions) != 1 || sw.Interceptions[0] != "dada" ||
		len(sw.Outputs) != 0 || sw.Paused || sw.Quota.RunsLeft == nil || *sw.Quota.RunsLeft != 5 || *sw.Quota.GenerationsLeft != 30 {
		t.Errorf("student workshop %+v, quota %+v", sw, sw.Quota)
	}
	if status, code := e.run(t, "a", e.dev, "all"); status != 202 {
		t.Fatalf("run: %d %s", status, code)
	}
	if sw := get(); *sw.Quota.RunsLeft != 4 || *sw.Quota.GenerationsLeft != 29 || sw.Quota.GenerationsUsed != 1 {
		t.Errorf("after a run: quota %+v", sw.Quota)
	}

	pause := func(b string) int {
		var r *strings.Reader
		if b != "" {
			r = body(b)
		}
		return do(t, e.s, "POST", "/api/teacher/workshops/"+e.ws.ID+"/pause", r, withCookie(e.ana)).Code
	}
	if code := pause(`{"message":"` + strings.Repeat("x", 201) + `"}`); code != 400 {
		t.Errorf("a message of 201 characters: %d", code)
	}
	if code := pause(`{"message":"Pause bis 10:15"}`); code != 200 {
		t.Fatalf("pause: %d", code)
	}
	if sw := get(); !sw.Paused || sw.PauseMessage != "Pause bis 10:15" {
		t.Errorf("paused: %+v", sw)
	}
	do(t, e.s, "POST", "/api/teacher/workshops/"+e.ws.ID+"/resume", nil, withCookie(e.ana))
	if code := pause(""); code != 200 { // no body: paused without a message
		t.Fatalf("pause without a body: %d", code)
	}
	if sw := get(); !sw.Paused || sw.PauseMessage != "" {
		t.Errorf("paused again without a message: %+v", sw)
	}
}

func TestFoldEvent(t *testing.T) {
	enc := func(p api.Payload) store.Event {
		e, err := api.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		return store.Event{Type: string(e.Type), Data: e.Data}
	}
	c := classRunOf(&store.ClassRun{Run: store.Run{ID: "r", Stages: "generation", State: store.StateQueued,
		Input: json.RawMessage(`{"text":"ein Haus","output":"sd35_large"}`)}, DeviceID: "d", Nickname: "Igel"})
	if c.Prompt != "ein Haus" || c.Output != "sd35_large" || c.State != api.StateQueued {
		t.Fatalf("from the record: %+v", c)
	}
	steps := []struct {
		p       api.Payload
		changed bool
		check   func() bool
	}{
		{api.RunEvent{RunID: "r", State: api.StateRunning}, true, func() bool { return c.State == api.StateRunning }},
		{api.StageEvent{Stage: 3, Name: "optimization", Status: api.StageStarted}, true, func() bool { return c.Stage.Stage == 3 }},
		{api.ChunkEvent{Stage: 3, Text: "A "}, false, func() bool { return len(c.Texts) == 0 }},
		{api.TextEvent{Stage: 3, Text: "A house"}, true, func() bool { return len(c.Texts) == 1 }},
		{api.TextEvent{Stage: 3, Text: "A red house"}, true, func() bool { return len(c.Texts) == 1 && c.Texts[0].Text == "A red house" }},
		{api.SafetyEvent{Stage: 3, Verdict: api.VerdictSafe, Checks: []string{"judge"}}, true, func() bool { return len(c.Verdicts) == 1 && !c.Blocked() }},
		{api.QueueStatusEvent{Status: api.QueueWaiting, Position: 2}, true, func() bool { return c.Queue.Position == 2 }},
		{api.QueueStatusEvent{Status: api.QueueAcquired}, true, func() bool { return c.Queue == nil }},
		{api.ProgressEvent{Stage: 4, Value: 3, Max: 20}, true, func() bool { return c.Progress.Value == 3 }},
		{api.SafetyEvent{Stage: 4, Verdict: api.VerdictBlocked, Reason: "r", Checks: []string{"vision"}}, true, func() bool { return c.Blocked() }},
		{api.ErrorEvent{Code: api.CodeBlocked, Message: "m"}, true, func() bool { return c.Error.Code == api.CodeBlocked }},
		{api.DoneEvent{State: api.StateBlocked, MS: 9}, true, func() bool { return c.State == api.StateBlocked && c.Progress == nil && c.MS == 9 }},
	}
	for i, st := range steps {
		if got := foldEvent(c, enc(st.p)); got != st.changed || !st.check() {
			t.Errorf("step %d (%s): changed %v, want %v; run %+v", i, st.p.EventType(), got, st.changed, c)
		}
	}
	if foldEvent(c, store.Event{Type: "mystery", Data: json.RawMessage(`{}`)}) {
		t.Error("an unknown event changed the run")
	}
}
