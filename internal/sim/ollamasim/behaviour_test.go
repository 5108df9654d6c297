package ollamasim

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

const chatBody = `{"model":"m","messages":[{"role":"user","content":"a lighthouse at dusk"}]}`

func TestCancellationRecorded(t *testing.T) {
	sim, srv := start(t, Options{Models: []string{"m"}, TokenDelay: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp := post(t, ctx, srv.URL+"/api/chat", chatBody)
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatalf("first frame: %v", err)
	}
	cancelled := time.Now()
	cancel()
	within(t, time.Second, "the cancellation to be recorded", func() bool {
		r := sim.Requests()
		return len(r) == 1 && !r[0].End.IsZero()
	})
	rec := sim.Requests()[0]
	if !rec.Cancelled || rec.Completed || rec.CancelledAt.Before(cancelled) || rec.CancelledAt.Sub(cancelled) > 500*time.Millisecond {
		t.Fatalf("record %+v (cancel at %v)", rec, cancelled)
	}
	if rec.Path != "/api/chat" || rec.Model != "m" || !rec.Stream || rec.Messages[0].Content != "a lighthouse at dusk" {
		t.Errorf("record %+v", rec)
	}
	if sim.InFlight() != 0 {
		t.Errorf("in flight %d after the request ended", sim.InFlight())
	}
}

func TestMaxInFlight(t *testing.T) {
	const n = 4
	sim, srv := start(t, Options{Models: []string{"m"}, FirstTokenDelay: 300 * time.Millisecond, Parallel: n})
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := post(t, context.Background(), srv.URL+"/api/chat", chatBody)
			if body := readAll(t, resp); !strings.Contains(body, `"done":true`) {
				errs <- body
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sim.WaitRequests(ctx, n); err != nil {
		t.Fatalf("WaitRequests: %v", err)
	}
	// Each takes its parallel slot a moment after it is recorded.
	within(t, time.Second, fmt.Sprintf("%d generations in flight while all wait for their first token", n), func() bool {
		return sim.InFlight() == n
	})
	wg.Wait()
	close(errs)
	for body := range errs {
		t.Errorf("incomplete stream %q", body)
	}
	if sim.MaxInFlight() != n || sim.InFlight() != 0 {
		t.Errorf("max in flight %d (want %d), in flight %d (want 0)", sim.MaxInFlight(), n, sim.InFlight())
	}
	for _, r := range sim.Requests() {
		if !r.Completed || r.Cancelled || r.End.Before(r.Start) {
			t.Errorf("record %+v", r)
		}
	}
}

func TestWaitRequestsHonoursContext(t *testing.T) {
	sim := New(Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := sim.WaitRequests(ctx, 1); err != context.DeadlineExceeded {
		t.Fatalf("WaitRequests = %v, want deadline exceeded", err)
	}
}

func TestLatency(t *testing.T) {
	const first, per = 200 * time.Millisecond, 20 * time.Millisecond
	_, srv := start(t, Options{Models: []string{"m"}, FirstTokenDelay: first, TokenDelay: per})
	begin := time.Now()
	resp := post(t, context.Background(), srv.URL+"/api/chat", chatBody)
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	ttft := time.Since(begin)
	frames := 1
	for {
		if _, err := br.ReadString('\n'); err != nil {
			break
		}
		frames++
	}
	total := time.Since(begin)
	minTotal := first + time.Duration(frames-2)*per // frames-1 tokens, frames-2 gaps
	if ttft < first || ttft > first+time.Second {
		t.Errorf("first token after %s, want about %s", ttft, first)
	}
	if total < minTotal {
		t.Errorf("stream took %s, want at least %s for %d frames", total, minTotal, frames)
	}
	t.Logf("first token %s, %d frames in %s", ttft, frames, total)
}

func TestFailMidStream(t *testing.T) {
	tests := []struct {
		name, path, body string
		check            func(t *testing.T, body string)
	}{
		{name: "native", path: "/api/chat", body: chatBody, check: func(t *testing.T, body string) {
			frames := decodeFrames(t, body)
			if len(frames) != 3 || frames[0].Message.Content == "" || frames[2].Error == "" || frames[2].Done {
				t.Fatalf("frames %+v", frames)
			}
		}},
		{name: "openai", path: "/v1/chat/completions", body: strings.Replace(chatBody, `{"model":"m"`, `{"model":"m","stream":true`, 1), check: func(t *testing.T, body string) {
			data := sseData(t, body)
			if len(data) != 3 || !strings.Contains(data[2], `"error":{`) || strings.Contains(body, "[DONE]") {
				t.Fatalf("events %q", data)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv := start(t, Options{Models: []string{"m"}, FailAfterTokens: 2})
			resp := post(t, context.Background(), srv.URL+tt.path, tt.body)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			tt.check(t, readAll(t, resp))
			rec := sim.Requests()[0]
			if rec.Completed || rec.Cancelled {
				t.Errorf("record %+v", rec)
			}
		})
	}
	t.Run("non-streaming gets 500", func(t *testing.T) {
		_, srv := start(t, Options{Models: []string{"m"}, FailAfterTokens: 1})
		resp := post(t, context.Background(), srv.URL+"/api/chat", strings.Replace(chatBody, `{"model":"m"`, `{"model":"m","stream":false`, 1))
		if body := readAll(t, resp); resp.StatusCode != 500 || !strings.Contains(body, `"error"`) {
			t.Fatalf("%d %q", resp.StatusCode, body)
		}
	})
}
