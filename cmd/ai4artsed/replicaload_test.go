package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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
// of three replicas, each as its own browser, follows every run to its end
// and reports the largest gap between two queue_status events a waiting
// run saw (p50, p99), the throughput and each replica's peak RSS.
//
//	AI4ARTSED_TEST_REPLICA_LOAD=2000 go test -count=1 -run TestReplicasLoad -v ./cmd/ai4artsed/
func TestReplicasLoad(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("AI4ARTSED_TEST_REPLICA_LOAD"))
	if n <= 0 {
		t.Skip("AI4ARTSED_TEST_REPLICA_LOAD is not set: the load test of the replicas is run by hand")
	}
	haproxyPath(t)
	s := startSimsWith(t, ollamasim.Options{FirstTokenDelay: 20 * time.Millisecond, TokenDelay: time.Millisecond, Parallel: -1})
	rs := startReplicaSet(t, s, 3, []string{"AI4ARTSED_QUEUE_MAX=100000"})
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * n}}

	type result struct {
		state  api.RunState
		types  []string
		err    error
		maxGap time.Duration
		waited bool
	}
	results := make([]result, n)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := client.New(rs.lb, hc, client.WithClientID(fmt.Sprintf("load-%d", i)), client.WithLanguage("en"))
			created, err := c.StartRun(ctx, api.RunRequest{Stages: api.StagesInterception, Prompt: fmt.Sprintf("a paper crane number %d", i), Interception: "dada", Lang: "en"})
			if err != nil {
				results[i].err = err
				return
			}
			var last time.Time
			var evs []api.Event
			err = c.Follow(ctx, created.RunID, 0, func(ev api.Event) error {
				if ev.Type == api.EventQueueStatus {
					now := time.Now()
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
		})
	}
	wg.Wait()
	took := time.Since(start)
	done, failed := 0, 0
	var gaps []time.Duration
	for i, r := range results {
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
	slices.Sort(gaps)
	pct := func(p float64) time.Duration {
		if len(gaps) == 0 {
			return 0
		}
		return gaps[min(len(gaps)-1, int(p*float64(len(gaps))))]
	}
	t.Logf("%d runs through haproxy on 3 replicas: %d done, %d failed in %s (%.1f runs/s)", n, done, failed, took.Round(time.Millisecond), float64(done)/took.Seconds())
	t.Logf("largest queue_status gap of the %d runs that waited: p50 %s, p99 %s, max %s", len(gaps), pct(0.5).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), pct(1).Round(time.Millisecond))
	for _, r := range rs.replicas {
		pid := r.cmd.Process.Pid
		t.Logf("replica %s: peak RSS %d MiB, RSS now %d MiB", r.Name, procStatus(pid, "VmHWM")/1024, procStatus(pid, "VmRSS")/1024)
	}
	if failed > 0 {
		t.Fatalf("%d of %d runs did not complete", failed, n)
	}
}
