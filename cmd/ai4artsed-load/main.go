// Command ai4artsed-load drives N concurrent interception runs against a
// running ai4artsed server and reports how the queue treated them: completed
// and failed runs, the largest gap between two queue_status events each
// waiting client saw, time to first event, and the server's peak memory and
// goroutines (read from its /metrics) during and after the load.
//
// `ai4artsed-load class [flags]` plays a class instead: it starts simulated
// LLM and image machines in-process and an `ai4artsed serve` child process,
// lets 30 students each make an interception run and a generation run of
// its text, once per routing policy, and prints makespan, waits, model
// loads, each machine's busy share and most calls at once against a lower
// bound and the scheduler's aims (docs/benchmarks.md, "The class").
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type result struct {
	state      string
	err        string
	firstEvent time.Duration
	maxGap     time.Duration
	waited     bool
	total      time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "class" {
		return runClass(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("ai4artsed-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "http://127.0.0.1:17802", "server address")
	n := fs.Int("n", 100, "concurrent runs")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after this long")
	interception := fs.String("interception", "dada", "interception config")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *n}}
	// Metrics are read on fresh connections, so the load's idle keep-alive
	// connections can be closed before the "after" figures are taken.
	mc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

	// One warm-up run first, so the idle figures include what any used server
	// keeps (keep-alive connections to the LLM server, prepared statements).
	if r := oneRun(ctx, hc, *base, -1, *interception); r.state != "done" {
		fmt.Fprintf(stderr, "ai4artsed-load: warm-up run ended %s %s\n", r.state, r.err)
		return 1
	}
	hc.CloseIdleConnections()
	time.Sleep(500 * time.Millisecond)
	idleRSS, idleG, err := scrape(ctx, mc, *base)
	if err != nil {
		fmt.Fprintln(stderr, "ai4artsed-load: read /metrics:", err)
		return 1
	}
	var peakRSS, peakG float64
	var pmu sync.Mutex
	stopPoll := make(chan struct{})
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopPoll:
				return
			case <-t.C:
				rss, g, err := scrape(ctx, mc, *base)
				if err == nil {
					pmu.Lock()
					peakRSS, peakG = max(peakRSS, rss), max(peakG, g)
					pmu.Unlock()
				}
			}
		}
	}()

	start := time.Now()
	results := make([]result, *n)
	var wg sync.WaitGroup
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = oneRun(ctx, hc, *base, i, *interception)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stopPoll)
	<-pollDone

	// Let the server settle, then read its idle figures again.
	hc.CloseIdleConnections()
	var afterRSS, afterG float64
	for i := 0; i < 20; i++ {
		time.Sleep(500 * time.Millisecond)
		afterRSS, afterG, _ = scrape(ctx, mc, *base)
		if afterG <= idleG+2 {
			break
		}
	}

	var done, failed int
	var gaps, firsts []time.Duration
	errs := map[string]int{}
	for _, r := range results {
		if r.state == "done" {
			done++
		} else {
			failed++
			errs[r.state+": "+r.err]++
		}
		if r.waited {
			gaps = append(gaps, r.maxGap)
		}
		if r.firstEvent > 0 {
			firsts = append(firsts, r.firstEvent)
		}
	}
	fmt.Fprintf(stdout, "runs: %d, completed: %d, failed: %d, wall time: %s\n", *n, done, failed, elapsed.Round(time.Millisecond))
	for e, c := range errs {
		fmt.Fprintf(stdout, "  %d× %s\n", c, e)
	}
	fmt.Fprintf(stdout, "largest queue_status gap per waiting client (%d clients): p50 %s, p99 %s, max %s\n",
		len(gaps), pct(gaps, 50), pct(gaps, 99), pct(gaps, 100))
	fmt.Fprintf(stdout, "time to first event: p50 %s, p99 %s, max %s\n", pct(firsts, 50), pct(firsts, 99), pct(firsts, 100))
	fmt.Fprintf(stdout, "server RSS: idle %.1f MB, peak %.1f MB, after %.1f MB\n", idleRSS/1e6, peakRSS/1e6, afterRSS/1e6)
	fmt.Fprintf(stdout, "server goroutines: idle %.0f, peak %.0f, after %.0f\n", idleG, peakG, afterG)
	if failed > 0 {
		return 1
	}
	return 0
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	i := (len(ds)*p + 99) / 100
	return ds[min(max(i-1, 0), len(ds)-1)].Round(time.Millisecond)
}

// oneRun starts a run as its own browser and follows its events to the end.
func oneRun(ctx context.Context, hc *http.Client, base string, i int, interception string) result {
	var r result
	start := time.Now()
	c := client.New(base, hc, client.WithClientID(fmt.Sprintf("load-%d", i)))
	created, err := c.StartRun(ctx, api.RunRequest{
		Stages: api.StagesInterception, Prompt: fmt.Sprintf("load test picture %d", i), Interception: interception, Lang: "en",
	})
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		r.state, r.err = "rejected", string(apiErr.Code)
		return r
	}
	if err != nil {
		r.state, r.err = "error", err.Error()
		return r
	}
	var lastQueue time.Time
	err = c.Follow(ctx, created.RunID, 0, func(e api.Event) error {
		now := time.Now()
		if r.firstEvent == 0 {
			r.firstEvent = now.Sub(start)
		}
		p, err := e.Decode()
		if err != nil {
			return err
		}
		switch d := p.(type) {
		case api.QueueStatusEvent:
			r.waited = true
			if !lastQueue.IsZero() {
				r.maxGap = max(r.maxGap, now.Sub(lastQueue))
			}
			lastQueue = now
			if d.Status == api.QueueAcquired {
				lastQueue = time.Time{}
			}
		case api.ErrorEvent:
			r.err = string(d.Code) + ": " + d.Message
		case api.DoneEvent:
			r.state, r.total = string(d.State), time.Since(start)
		}
		return nil
	})
	if err != nil {
		r.state, r.err = "stream failed", err.Error()
	}
	return r
}

// scrape reads the server's resident memory and goroutine count.
func scrape(ctx context.Context, hc *http.Client, base string) (rss, goroutines float64, err error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		v, perr := strconv.ParseFloat(f[1], 64)
		if perr != nil {
			continue
		}
		switch f[0] {
		case "process_resident_memory_bytes":
			rss = v
		case "go_goroutines":
			goroutines = v
		}
	}
	return rss, goroutines, sc.Err()
}
