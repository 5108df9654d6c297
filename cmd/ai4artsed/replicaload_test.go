package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/client"
	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
)

// procStatus reads a field of /proc/PID/status in KiB (VmRSS, VmHWM).
func procStatus(pid int, field string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return -1
}

// TestReplicasLoad starts N concurrent interception runs (N from
// AI4ARTSED_TEST_REPLICA_LOAD; skipped without it) through haproxy in front
// of three replicas (AI4ARTSED_TEST_REPLICAS sets another count), each as
// its own browser, follows every run to its end and reports the largest
// gap between two queue_status events a waiting run saw (p50, p99), the
// throughput, each replica's peak RSS and peak count of PostgreSQL
// connections, and the cross-replica event latency: every 20th run is
// started on a replica directly and followed both there and on the next
// replica, and each stored event's arrival on the second is compared with
// its arrival on the first (docs/benchmarks.md, "Replicas").
// AI4ARTSED_TEST_POOL_MAX_CONNS sets each replica's pool_max_conns.
//
//	AI4ARTSED_TEST_REPLICA_LOAD=2000 go test -count=1 -run TestReplicasLoad -v ./cmd/ai4artsed/
//	AI4ARTSED_TEST_REPLICA_LOAD=2000 AI4ARTSED_TEST_REPLICAS=1 go test -count=1 -run TestReplicasLoad -v ./cmd/ai4artsed/
func TestReplicasLoad(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("AI4ARTSED_TEST_REPLICA_LOAD"))
	if n <= 0 {
		t.Skip("AI4ARTSED_TEST_REPLICA_LOAD is not set: the load test of the replicas is run by hand")
	}
	replicas := 3
	if v := os.Getenv("AI4ARTSED_TEST_REPLICAS"); v != "" {
		var err error
		if replicas, err = strconv.Atoi(v); err != nil || replicas < 1 {
			t.Fatalf("AI4ARTSED_TEST_REPLICAS=%q: want a count of at least 1", v)
		}
	}
	haproxyPath(t)
	s := startSimsWith(t, ollamasim.Options{FirstTokenDelay: 20 * time.Millisecond, TokenDelay: time.Millisecond, Parallel: -1})
	var dbParams url.Values
	if v := os.Getenv("AI4ARTSED_TEST_POOL_MAX_CONNS"); v != "" {
		dbParams = url.Values{"pool_max_conns": {v}}
	}
	rs := startReplicaSet(t, s, replicas, replicas, []string{"AI4ARTSED_QUEUE_MAX=100000"}, dbParams)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * n}}

	type result struct {
		state  api.RunState
		types  []string
		err    error
		maxGap time.Duration
		waited bool
		// latency of each stored event and each transient tick on the
		// next replica behind its arrival on the executing one, and the
		// ticks that never arrived there (sampled runs only)
		latency, tickLatency []time.Duration
		ticks, ticksMissed   int
	}
	results := make([]result, n)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	conns := sampleConnections(ctx, t, rs.dbURL)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			opts := []client.Option{client.WithClientID(fmt.Sprintf("load-%d", i)), client.WithLanguage("en")}
			c := client.New(rs.lb, hc, opts...)
			var other *client.Client
			if sampled := replicas > 1 && i%20 == 0; sampled {
				owner := (i / 20) % replicas
				c = client.New(rs.replicas[owner].Base, hc, opts...)
				other = client.New(rs.replicas[(owner+1)%replicas].Base, hc, opts...)
			}
			created, err := c.StartRun(ctx, api.RunRequest{Stages: api.StagesInterception, Prompt: fmt.Sprintf("a paper crane number %d", i), Interception: "dada", Lang: "en"})
			if err != nil {
				results[i].err = err
				return
			}
			// Arrival times by event: a stored one by its sequence number,
			// a tick by its data (its waited_ms differs from the last).
			type arrivals struct {
				stored map[int64]time.Time
				ticks  map[string]time.Time
			}
			arrived := func(a arrivals, ev api.Event) {
				if ev.Seq > 0 {
					a.stored[ev.Seq] = time.Now()
				} else {
					a.ticks[string(ev.Data)] = time.Now()
				}
			}
			var elsewhere chan arrivals
			if other != nil {
				elsewhere = make(chan arrivals, 1)
				go func() {
					a := arrivals{map[int64]time.Time{}, map[string]time.Time{}}
					_ = other.Follow(ctx, created.RunID, 0, func(ev api.Event) error { arrived(a, ev); return nil })
					elsewhere <- a
				}()
			}
			var last time.Time
			var evs []api.Event
			here := arrivals{map[int64]time.Time{}, map[string]time.Time{}}
			err = c.Follow(ctx, created.RunID, 0, func(ev api.Event) error {
				now := time.Now()
				arrived(here, ev)
				if ev.Type == api.EventQueueStatus {
					if p, err := ev.Decode(); err == nil {
						if qs, ok := p.(api.QueueStatusEvent); ok && qs.Status == api.QueueWaiting {
							results[i].waited = true
							if !last.IsZero() {
								results[i].maxGap = max(results[i].maxGap, now.Sub(last))
							}
							last = now
						} else {
							last = time.Time{}
						}
					}
				}
				evs = append(evs, ev)
				return nil
			})
			results[i].err, results[i].state, results[i].types = err, doneState(evs), eventTypes(evs)
			if elsewhere != nil {
				there := <-elsewhere
				// Count only the events that arrived here after the other
				// follower got its first: the earlier ones it read as a
				// replay when it connected, and the ticks of the first
				// second may precede its watch note.
				first := earliest(there.stored)
				for seq, at := range there.stored {
					if h, ok := here.stored[seq]; ok && h.After(first) {
						results[i].latency = append(results[i].latency, max(at.Sub(h), 0))
					}
				}
				first = earliest(there.ticks)
				for data, h := range here.ticks {
					if first.IsZero() || h.Before(first) {
						continue
					}
					results[i].ticks++
					if at, ok := there.ticks[data]; ok {
						results[i].tickLatency = append(results[i].tickLatency, max(at.Sub(h), 0))
					} else {
						results[i].ticksMissed++
					}
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	done, failed := 0, 0
	var gaps, latency, tickLatency []time.Duration
	ticks, missed := 0, 0
	for i, r := range results {
		latency = append(latency, r.latency...)
		tickLatency = append(tickLatency, r.tickLatency...)
		ticks, missed = ticks+r.ticks, missed+r.ticksMissed
		if r.err != nil || r.state != api.StateDone {
			failed++
			if failed <= 5 {
				t.Errorf("run %d: %v, ended %q (events %v)", i, r.err, r.state, r.types)
			}
			continue
		}
		done++
		if r.waited {
			gaps = append(gaps, r.maxGap)
		}
	}
	t.Logf("%d runs through haproxy on %d replicas: %d done, %d failed in %s (%.1f runs/s)", n, replicas, done, failed, took.Round(time.Millisecond), float64(done)/took.Seconds())
	p50, p99, pmax := percentiles(gaps)
	t.Logf("largest queue_status gap of the %d runs that waited: p50 %s, p99 %s, max %s", len(gaps), p50, p99, pmax)
	if len(latency) > 0 {
		p50, p99, pmax := percentiles(latency)
		t.Logf("cross-replica latency of %d stored events (arrival on the next replica after arrival on the executing one, once both follow): p50 %s, p99 %s, max %s",
			len(latency), p50, p99, pmax)
		p50, p99, pmax = percentiles(tickLatency)
		t.Logf("cross-replica latency of %d queue_status ticks: p50 %s, p99 %s, max %s; %d ticks of %d missing on the next replica",
			len(tickLatency), p50, p99, pmax, missed, ticks)
	}
	peak := conns()
	for _, r := range rs.replicas {
		pid := r.cmd.Process.Pid
		t.Logf("replica %s: peak RSS %d MiB, RSS now %d MiB, peak PostgreSQL connections %d", r.Name, procStatus(pid, "VmHWM")/1024, procStatus(pid, "VmRSS")/1024, peak[r.Name])
	}
	if failed > 0 {
		t.Fatalf("%d of %d runs did not complete", failed, n)
	}
}

// earliest is the earliest of the times in m (zero for none).
func earliest[K comparable](m map[K]time.Time) time.Time {
	var first time.Time
	for _, at := range m {
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	return first
}

// percentiles returns the p50, p99 and largest of ds (sorted in place),
// rounded to the millisecond below a second and to 10 ms above.
func percentiles(ds []time.Duration) (p50, p99, pmax time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	slices.Sort(ds)
	at := func(p float64) time.Duration {
		d := ds[min(len(ds)-1, int(p*float64(len(ds))))]
		if d < time.Second {
			return d.Round(10 * time.Microsecond)
		}
		return d.Round(time.Millisecond)
	}
	return at(0.5), at(0.99), at(1)
}

// sampleConnections counts the connections of each application_name to
// the test database every 100 ms until ctx ends; the returned function
// gives the peak of each so far.
func sampleConnections(ctx context.Context, t *testing.T, dbURL string) func() map[string]int {
	t.Helper()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		peak = map[string]int{}
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		defer conn.Close(context.WithoutCancel(ctx))
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			rows, err := conn.Query(ctx, `SELECT application_name, count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1`)
			if err == nil {
				for rows.Next() {
					var name string
					var k int
					if rows.Scan(&name, &k) == nil {
						mu.Lock()
						peak[name] = max(peak[name], k)
						mu.Unlock()
					}
				}
				rows.Close()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { <-done })
	return func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(peak)
	}
}
