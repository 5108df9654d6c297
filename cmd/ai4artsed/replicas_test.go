package main

// Three `ai4artsed serve` processes on one PostgreSQL behind Debian's
// haproxy, round-robin without stickiness (docs/deploy.md): every request of
// a client may land on another replica.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/client"
	"github.com/ai4artsed/ai4artsed/internal/queue"
	"github.com/ai4artsed/ai4artsed/internal/replica"
	"github.com/ai4artsed/ai4artsed/internal/sharedqueue"
	"github.com/ai4artsed/ai4artsed/internal/store/postgres"
)

// replicaSet is the district set-up of docs/deploy.md in miniature.
type replicaSet struct {
	sims     *sims
	dbURL    string
	replicas []*serveProc
	lb       string        // the load balancer's base URL
	seen     *seenReplicas // which replica answered each request through lb
	http     *http.Client  // a client through lb that records seen
}

// haproxyPath finds haproxy; without it the test skips, except in CI.
func haproxyPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("haproxy")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("haproxy is not installed; .ci/run installs Debian's package")
		}
		t.Skip("haproxy is not installed (apt-get install haproxy)")
	}
	return p
}

// haproxyConfig is the test's load balancer: the configuration of
// docs/deploy.md with test-sized health checks, and a header naming the
// replica that answered.
func haproxyConfig(listen string, replicas []*serveProc) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 10s
    retries 2
    option redispatch 1
    retry-on conn-failure empty-response response-timeout 503

frontend www
    bind %s
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server check inter 1s fall 1 rise 2
    http-response set-header %s %%[srv_name]
`, listen, replicaHeader)
	for _, r := range replicas {
		fmt.Fprintf(&b, "    server %s %s\n", r.Name, strings.TrimPrefix(r.Base, "http://"))
	}
	return b.String()
}

// startHAProxy runs haproxy in the foreground in front of replicas until
// the test ends and returns its base URL once every replica answers
// through it.
func startHAProxy(t *testing.T, replicas []*serveProc) string {
	t.Helper()
	bin := haproxyPath(t)
	listen := freeAddrs(t, 1)[0]
	dir := t.TempDir()
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(haproxyConfig(listen, replicas)), 0o644); err != nil {
		t.Fatal(err)
	}
	check := exec.Command(bin, "-c", "-q", "-f", cfg)
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	logFile, err := os.Create(filepath.Join(dir, "haproxy.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", cfg)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatal(err)
	}
	logFile.Close()
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	base := "http://" + listen
	want := map[string]bool{}
	for _, r := range replicas {
		want[r.Name] = true
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(want) > 0 {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "haproxy.log"))
			t.Fatalf("through haproxy, replicas %v never answered; haproxy log:\n%s", want, log)
		}
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			delete(want, resp.Header.Get(replicaHeader))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return base
}

// newReplicaSet starts PostgreSQL's schema, the simulators, three replicas
// with their own data dirs (the second and third with a slow interception
// model, for runs still going when they are cancelled, killed or stopped)
// and haproxy.
func newReplicaSet(t *testing.T) *replicaSet {
	t.Helper()
	haproxyPath(t)
	return startReplicaSet(t, startSims(t, 2*time.Second), 3, 1, nil, nil)
}

// startReplicaSet starts n replicas on a fresh schema with the simulators
// of s, haproxy in front; replicas from slowFrom on (0-based) use the slow
// interception model, and env is added to every replica's. Each replica
// names its PostgreSQL connections after itself (application_name r1,
// r2, ...), so pg_stat_activity tells them apart; dbParams are added to
// its database URL too (pool_max_conns, say).
func startReplicaSet(t *testing.T, s *sims, n, slowFrom int, env []string, dbParams url.Values) *replicaSet {
	t.Helper()
	rs := &replicaSet{dbURL: postgresURL(t), sims: s}
	common := append([]string{"AI4ARTSED_SHUTDOWN_GRACE=40s"}, env...)
	for i := range n {
		name := fmt.Sprintf("r%d", i+1)
		extra := append(slices.Clone(common), "AI4ARTSED_DATABASE_URL="+withParams(t, rs.dbURL, name, dbParams))
		if i >= slowFrom {
			extra = append(extra, "AI4ARTSED_MODEL_INTERCEPTION=ollama/"+slowModel)
		}
		rs.replicas = append(rs.replicas, startServeProc(t, name, rs.sims.env(t, extra...)))
	}
	rs.lb = startHAProxy(t, rs.replicas)
	rs.seen = &seenReplicas{rt: http.DefaultTransport}
	rs.http = &http.Client{Transport: rs.seen}
	return rs
}

// withParams adds application_name=name and params to a PostgreSQL URL.
func withParams(t *testing.T, dbURL, name string, params url.Values) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// client is a browser with id clientID going through the load balancer.
func (rs *replicaSet) client(clientID string) *client.Client {
	return client.New(rs.lb, rs.http, client.WithClientID(clientID), client.WithLanguage("en"))
}

// direct is a client of replica i itself, past the load balancer.
func (rs *replicaSet) direct(i int, clientID string) *client.Client {
	return client.New(rs.replicas[i].Base, nil, client.WithClientID(clientID), client.WithLanguage("en"))
}

// errReconnect makes followReconnecting drop the connection.
var errReconnect = errors.New("test: reconnect")

// followReconnecting follows run id through c, dropping the connection
// after every `every` stored events and reconnecting with the last
// sequence number, until done. It returns the stored events in order.
func followReconnecting(t *testing.T, c *client.Client, id string, every int) []api.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var got []api.Event
	var last int64
	for connections := 1; ; connections++ {
		n := 0
		err := c.Follow(ctx, id, last, func(ev api.Event) error {
			if ev.Seq == 0 {
				return nil // a transient queue_status tick
			}
			got = append(got, ev)
			last = ev.Seq
			if ev.Type == api.EventDone {
				return nil
			}
			if n++; n == every {
				return errReconnect
			}
			return nil
		})
		if err == nil {
			return got
		}
		if !errors.Is(err, errReconnect) {
			t.Fatalf("run %s after %d connections: %v", id, connections, err)
		}
	}
}

// TestReplicasBehindHAProxy runs the district set-up: three replicas on one
// PostgreSQL behind haproxy.
func TestReplicasBehindHAProxy(t *testing.T) {
	rs := newReplicaSet(t)

	t.Run("round robin without stickiness", func(t *testing.T) {
		rs.seen.take()
		c := rs.client("rr")
		for range 6 {
			if _, err := c.Info(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		seen := rs.seen.take()
		for i := 1; i < len(seen); i++ {
			if seen[i] == seen[i-1] {
				t.Fatalf("consecutive requests of one client went to the same replica: %v", seen)
			}
		}
	})

	t.Run("runs followed through the balancer with reconnects", func(t *testing.T) {
		c := rs.client("follow")
		var ids []string
		for i := range 6 {
			created, err := c.StartRun(t.Context(), api.RunRequest{Stages: api.StagesInterception,
				Prompt: fmt.Sprintf("a paper boat number %d", i), Interception: "dada", Lang: "en"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, created.RunID)
		}
		rs.seen.take()
		for _, id := range ids {
			got := followReconnecting(t, c, id, 3)
			for i, ev := range got {
				if ev.Seq != int64(i+1) {
					t.Fatalf("run %s: event %d has seq %d: events lost or repeated across reconnects", id, i, ev.Seq)
				}
			}
			if doneState(got) != api.StateDone {
				t.Fatalf("run %s ended %q", id, doneState(got))
			}
			// The whole stream again, in one connection: the same events.
			var again []api.Event
			if err := c.Follow(t.Context(), id, 0, func(ev api.Event) error {
				if ev.Seq > 0 {
					again = append(again, ev)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(again) != len(got) {
				t.Fatalf("run %s: %d events in one stream, %d across reconnects", id, len(again), len(got))
			}
			for i := range got {
				if !bytes.Equal(got[i].Data, again[i].Data) || got[i].Type != again[i].Type {
					t.Fatalf("run %s: event %d differs between reconnects and one stream", id, i+1)
				}
			}
		}
		replicas := map[string]bool{}
		for _, r := range rs.seen.take() {
			replicas[r] = true
		}
		if len(replicas) != len(rs.replicas) {
			t.Errorf("the streams were served by %v, want every replica", replicas)
		}
	})

	t.Run("media uploaded via one replica readable via the others", func(t *testing.T) {
		png := pngBytes(t, 40, 30, color.RGBA{200, 120, 10, 255})
		up, err := rs.direct(0, "media").Upload(t.Context(), "photo.png", bytes.NewReader(png))
		if err != nil {
			t.Fatal(err)
		}
		// An image-to-image run of the upload on another replica.
		created, err := rs.direct(1, "media").StartRun(t.Context(), api.RunRequest{Stages: api.StagesGeneration,
			Text: "an orange square at dusk", Output: "sd35_img2img", Uploads: []string{up.UploadID}, Lang: "en"})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := rs.direct(1, "media").Wait(t.Context(), created.RunID)
		if err != nil || doneState(evs) != api.StateDone {
			t.Fatalf("image-to-image run on r2: %v, ended %q", err, doneState(evs))
		}
		var url string
		for _, ev := range evs {
			if p, err := ev.Decode(); err == nil {
				if m, ok := p.(api.MediaEvent); ok {
					url = m.URL
				}
			}
		}
		if url == "" {
			t.Fatal("no media event")
		}
		var first []byte
		for i, r := range rs.replicas {
			code, body := getBytes(t, r.Base+url)
			if code != http.StatusOK || len(body) == 0 {
				t.Fatalf("the image through %s: %d, %d bytes", r.Name, code, len(body))
			}
			if i == 0 {
				first = body
			} else if !bytes.Equal(body, first) {
				t.Fatalf("the image through %s differs from %s's", r.Name, rs.replicas[0].Name)
			}
		}
		for _, r := range rs.replicas {
			if files := filesUnder(t, filepath.Join(r.DataDir, "media")); len(files) != 0 {
				t.Errorf("media files in %s's data dir: %v", r.Name, files)
			}
		}
	})

	t.Run("cancel through another replica", func(t *testing.T) {
		c2 := rs.direct(1, "cancel")
		created, err := c2.StartRun(t.Context(), api.RunRequest{Stages: api.StagesInterception, Prompt: "a slow snail", Interception: "dada", Lang: "en"})
		if err != nil {
			t.Fatal(err)
		}
		waitState(t, c2, created.RunID, api.StateRunning)
		followed := followAll(rs.client("cancel"), created.RunID)
		asked := time.Now()
		if _, err := rs.direct(0, "cancel").Cancel(t.Context(), created.RunID); err != nil {
			t.Fatalf("cancel through r1 of a run executing on r2: %v", err)
		}
		r := <-followed
		if r.err != nil || doneState(r.events) != api.StateCancelled {
			t.Fatalf("the cancelled run: %v, ended %q", r.err, doneState(r.events))
		}
		t.Logf("cancel through another replica to done through the balancer: %s", time.Since(asked).Round(time.Millisecond))
	})

	t.Run("slots and positions hold across the replicas", func(t *testing.T) {
		// 30 students, each a generation run through the balancer, so
		// each replica executes about ten: the image machine's one slot
		// and the LLM machine's slots hold for the three together, and
		// the positions are global and never rise while a run waits for
		// one machine. A fourth party (this test, as a replica of its
		// own) holds the image slot until all 30 wait: then the last to
		// come is told a place far past one replica's share.
		const students = 30
		holder := holdSharedSlot(t, rs.dbURL, "image:swarmui")
		var followers []<-chan followResult
		var ids []string
		for i := range students {
			c := rs.client(fmt.Sprintf("slots-%d", i))
			created, err := c.StartRun(t.Context(), api.RunRequest{Stages: api.StagesGeneration,
				Text: fmt.Sprintf("a red kite number %d", i), Output: "sd35_large", Lang: "en"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, created.RunID)
			followers = append(followers, followAll(c, created.RunID))
		}
		waitFor(t, "every generation waits for the held slot", 60*time.Second, func() bool {
			return holder.q.Waiting() >= students
		})
		holder.release()
		most := map[string]int{}
		for i, f := range followers {
			r := <-f
			if r.err != nil || doneState(r.events) != api.StateDone {
				t.Fatalf("run %s: %v, ended %q", ids[i], r.err, doneState(r.events))
			}
			last := map[string]int{}
			for _, ev := range r.events {
				if ev.Type != api.EventQueueStatus {
					continue
				}
				var q api.QueueStatusEvent
				if err := json.Unmarshal(ev.Data, &q); err != nil {
					t.Fatal(err)
				}
				if q.Status == "acquired" {
					delete(last, q.Backend)
					continue
				}
				if p, ok := last[q.Backend]; ok && q.Position > p {
					t.Errorf("run %s: position for %s rose from %d to %d", ids[i], q.Backend, p, q.Position)
				}
				last[q.Backend] = q.Position
				most[q.Backend] = max(most[q.Backend], q.Position)
			}
		}
		t.Logf("highest positions told: %v", most)
		if n := rs.sims.Swarm.MaxInFlight(); n > 1 {
			t.Errorf("the image machine had %d generations at once, its slots are 1", n)
		}
		if n, slots := rs.sims.Ollama.MaxInFlight(), defaultSettings().LLMSlots; n > slots {
			t.Errorf("the LLM machine had %d calls at once, its slots are %d", n, slots)
		}
		if most["swarmui"] <= 2*students/len(rs.replicas) {
			t.Errorf("the highest image queue position was %d: not above two replicas' share of %d, so not global",
				most["swarmui"], 2*students/len(rs.replicas))
		}
	})

	t.Run("kill -9 of the replica executing runs", func(t *testing.T) {
		r2 := rs.replicas[1]
		c2 := rs.direct(1, "killed")
		var ids []string
		var followers []<-chan followResult
		for i := range 3 {
			created, err := c2.StartRun(t.Context(), api.RunRequest{Stages: api.StagesInterception,
				Prompt: fmt.Sprintf("a doomed sandcastle %d", i), Interception: "dada", Lang: "en"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, created.RunID)
		}
		for _, id := range ids {
			waitState(t, c2, id, api.StateRunning)
			followers = append(followers, followAll(rs.client("killed"), id))
		}
		killed := time.Now()
		r2.kill()
		for i, f := range followers {
			select {
			case r := <-f:
				if r.err != nil || doneState(r.events) != api.StateInterrupted {
					t.Fatalf("run %s of the killed replica: %v, ended %q", ids[i], r.err, doneState(r.events))
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("the stream of run %s did not end within 30 s of the kill", ids[i])
			}
		}
		took := time.Since(killed)
		t.Logf("kill -9 to the last stream's done (interrupted) through the balancer: %s", took.Round(time.Millisecond))
		if took > 15*time.Second {
			t.Errorf("the survivors took %s to end the killed replica's runs, want at most 15 s", took)
		}
		for _, id := range ids {
			run, err := rs.client("killed").Run(t.Context(), id)
			if err != nil || run.State != api.StateInterrupted {
				t.Fatalf("run %s after the kill: %v %v", id, run, err)
			}
		}
		// The survivors take new runs through the balancer. The killed
		// replica's three runs held all three LLM slots of the shared
		// queue: the new run gets one only once the survivors have
		// dropped the dead replica's tickets.
		c := rs.client("after-kill")
		created, err := c.StartRun(t.Context(), api.RunRequest{Stages: api.StagesInterception, Prompt: "a new sandcastle", Interception: "dada", Lang: "en"})
		if err != nil {
			t.Fatalf("a new run after the kill: %v", err)
		}
		evs, err := c.Wait(t.Context(), created.RunID)
		if err != nil || doneState(evs) != api.StateDone {
			t.Fatalf("the new run after the kill: %v, ended %q", err, doneState(evs))
		}
		t.Logf("kill -9 to a new run's done, its LLM slot freed from the dead replica: %s", time.Since(killed).Round(time.Millisecond))
	})

	t.Run("graceful stop drains", func(t *testing.T) {
		r3 := rs.replicas[2]
		c3 := rs.direct(2, "drain")
		created, err := c3.StartRun(t.Context(), api.RunRequest{Stages: api.StagesInterception, Prompt: "a lighthouse in fog", Interception: "dada", Lang: "en"})
		if err != nil {
			t.Fatal(err)
		}
		waitState(t, c3, created.RunID, api.StateRunning)
		followed := followAll(rs.client("drain"), created.RunID) // through the balancer: other replicas too
		r3.signal(t, syscall.SIGTERM)
		waitHealth(t, r3, http.StatusServiceUnavailable, 2*time.Second)
		_, err = c3.StartRun(t.Context(), api.RunRequest{Stages: api.StagesInterception, Prompt: "refused", Interception: "dada", Lang: "en"})
		wantShuttingDown(t, "a new run on the draining replica", err)
		// Through the balancer new runs still start: on the others.
		lbc := rs.client("drain-new")
		for i := range 4 {
			if _, err := lbc.StartRun(t.Context(), api.RunRequest{Stages: api.StagesInterception,
				Prompt: fmt.Sprintf("a kite %d", i), Interception: "dada", Lang: "en"}); err != nil {
				t.Fatalf("new run %d through the balancer while r3 drains: %v", i, err)
			}
		}
		if run, err := c3.Run(t.Context(), created.RunID); err != nil || run.State.Final() {
			t.Fatalf("while draining the run is %v (%v), want it still in flight", run, err)
		}
		r := <-followed
		if r.err != nil || doneState(r.events) != api.StateDone {
			t.Fatalf("the run on the draining replica: %v, ended %q", r.err, doneState(r.events))
		}
		if code := r3.wait(t, 30*time.Second); code != 0 {
			t.Fatalf("r3 exit %d after a graceful stop", code)
		}
		// The survivor serves everything, the finished run included.
		for range 4 {
			run, err := rs.client("after").Run(t.Context(), created.RunID)
			if err != nil || run.State != api.StateDone {
				t.Fatalf("the drained run through the balancer: %v %v", run, err)
			}
		}
	})
}

// TestDeployDocHAProxyConfig checks the haproxy configuration printed in
// docs/deploy.md with haproxy itself, and that it keeps what the event
// streams and a draining replica need.
func TestDeployDocHAProxyConfig(t *testing.T) {
	bin := haproxyPath(t)
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "### haproxy")
	if !ok {
		t.Fatal("docs/deploy.md has no haproxy section")
	}
	_, rest, _ = strings.Cut(rest, "```\n")
	cfg, _, ok := strings.Cut(rest, "```")
	if !ok || !strings.Contains(cfg, "backend replicas") {
		t.Fatalf("no configuration block in the haproxy section: %q", cfg)
	}
	for _, want := range []string{"balance roundrobin", "option httpchk GET /healthz", "retry-on conn-failure empty-response response-timeout 503",
		"option redispatch", "timeout server 60s", "timeout client 60s"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("the documented configuration lacks %q", want)
		}
	}
	if strings.Contains(cfg, "\n    compression") {
		t.Error("the documented configuration compresses responses: event streams would be held back")
	}
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-c", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c on the documented configuration: %v\n%s", err, out)
	}
}

// sharedHolder is the test holding a slot of a shared queue as a replica
// of its own.
type sharedHolder struct {
	q       *sharedqueue.Queue
	release func()
}

// holdSharedSlot joins the replicas on dbURL with a lease of its own and
// takes a slot of queue, renewing the lease until release or the test's
// end.
func holdSharedSlot(t *testing.T, dbURL, queueName string) *sharedHolder {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	const id = "test-holder"
	if _, err := db.Beat(ctx, id); err != nil {
		t.Fatal(err)
	}
	m := sharedqueue.New(sharedqueue.Options{Store: db, Replica: id, TTL: replica.DefaultTTL})
	q := m.Queue(queueName, 1, 1000, nil)
	give, err := q.AcquireTicket(ctx, queue.Ticket{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
				_, _ = db.Beat(ctx, id)
			}
		}
	}()
	release := sync.OnceFunc(func() {
		give()
		close(stop)
		<-beating
		m.Close()
		_ = db.Leave(ctx, id)
		_ = db.Close()
	})
	t.Cleanup(release)
	return &sharedHolder{q: q, release: release}
}
