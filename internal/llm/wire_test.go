package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// wire describes one provider's framing so the wire-level tests run against
// both with hand-written fake servers.
type wire struct {
	name      string
	newClient func(url string, timeout time.Duration) chatter
	chunk     func(text string) string
	final     func() string
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func ollamaChunk(text string) string {
	return fmt.Sprintf(`{"model":"m","created_at":"2025-06-01T10:00:00.123456Z","message":{"role":"assistant","content":%s},"done":false}`+"\n", jsonString(text))
}

func ollamaFinal(last string) string {
	return fmt.Sprintf(`{"model":"m","created_at":"2025-06-01T10:00:01.5Z","message":{"role":"assistant","content":%s},"done":true,"done_reason":"stop","total_duration":1500000000,"load_duration":1000,"prompt_eval_count":12,"prompt_eval_duration":2000,"eval_count":4,"eval_duration":3000}`+"\n", jsonString(last))
}

func openaiChunkLine(text string) string {
	return fmt.Sprintf(`data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1748772000,"model":"m","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"content":%s},"finish_reason":null}]}`+"\n\n", jsonString(text))
}

func openaiFinal() string {
	return `data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1748772000,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n" + "data: [DONE]\n\n"
}

var wires = []wire{
	{
		name:      "ollama",
		newClient: func(url string, timeout time.Duration) chatter { return NewOllama(url, nil, timeout) },
		chunk:     ollamaChunk,
		final:     func() string { return ollamaFinal("") },
	},
	{
		name:      "openai",
		newClient: func(url string, timeout time.Duration) chatter { return NewOpenAI(url, "", nil, timeout) },
		chunk:     openaiChunkLine,
		final:     openaiFinal,
	},
}

// TestChunksArriveIncrementally: the server holds back the rest of the
// stream until the client has delivered the first chunk to fn.
func TestChunksArriveIncrementally(t *testing.T) {
	for _, wr := range wires {
		t.Run(wr.name, func(t *testing.T) {
			seen := make(chan struct{})
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				drain(r)
				write(w, wr.chunk("first"))
				select {
				case <-seen:
				case <-time.After(5 * time.Second):
					return // the client never saw the first chunk: stream ends broken
				}
				write(w, wr.chunk(" second"))
				write(w, wr.final())
			})
			var got []string
			text, err := wr.newClient(srv.URL, 10*time.Second).Chat(context.Background(), Request{Model: "m"}, func(c string) error {
				if len(got) == 0 {
					close(seen)
				}
				got = append(got, c)
				return nil
			})
			if err != nil {
				t.Fatalf("Chat: %v", err)
			}
			if text != "first second" || strings.Join(got, "|") != "first| second" {
				t.Fatalf("text %q chunks %q", text, got)
			}
		})
	}
}

// TestCallerCancelStopsUpstream: cancelling the caller's context ends the
// upstream request at once, and the error is context.Canceled.
func TestCallerCancelStopsUpstream(t *testing.T) {
	for _, wr := range wires {
		t.Run(wr.name, func(t *testing.T) {
			gone := make(chan struct{})
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				drain(r)
				write(w, wr.chunk("a"))
				select {
				case <-r.Context().Done():
					close(gone)
				case <-time.After(10 * time.Second):
				}
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			start := time.Now()
			text, err := wr.newClient(srv.URL, 0).Chat(ctx, Request{Model: "m"}, func(string) error {
				cancel()
				return nil
			})
			errIs(t, err, context.Canceled)
			if text != "a" {
				t.Errorf("partial text %q, want %q", text, "a")
			}
			waitClosed(t, gone, time.Second, "the server to see the request cancelled")
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Chat returned after %s", d)
			}
		})
	}
}

// TestCallTimeout: the client's timeout ends a call whose server stalls,
// both before the headers and mid-stream.
func TestCallTimeout(t *testing.T) {
	for _, wr := range wires {
		for _, midStream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/midstream=%v", wr.name, midStream), func(t *testing.T) {
				gone := make(chan struct{})
				srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
					drain(r)
					if midStream {
						write(w, wr.chunk("a"))
					}
					select {
					case <-r.Context().Done():
						close(gone)
					case <-time.After(10 * time.Second):
					}
				})
				start := time.Now()
				_, err := wr.newClient(srv.URL, 150*time.Millisecond).Chat(context.Background(), Request{Model: "m"}, nil)
				errIs(t, err, ErrTimeout, context.DeadlineExceeded)
				if errors.Is(err, context.Canceled) {
					t.Errorf("timeout reported as cancellation: %v", err)
				}
				if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
					t.Errorf("returned after %s, want about 150ms", d)
				}
				waitClosed(t, gone, time.Second, "the server to see the request end")
			})
		}
	}
}

// TestConnectionRefused: nothing listens → ErrUnavailable naming the URL.
func TestConnectionRefused(t *testing.T) {
	for _, wr := range wires {
		t.Run(wr.name, func(t *testing.T) {
			url := closedAddr(t)
			_, err := wr.newClient(url, time.Second).Chat(context.Background(), Request{Model: "m"}, nil)
			errIs(t, err, ErrUnavailable)
			if !strings.Contains(err.Error(), "is not reachable") || !strings.Contains(err.Error(), url) {
				t.Errorf("message %q should say %s is not reachable", err, url)
			}
		})
	}
}

// TestCallbackErrorStopsStream: an error from fn is returned unchanged and
// the upstream request is ended.
func TestCallbackErrorStopsStream(t *testing.T) {
	for _, wr := range wires {
		t.Run(wr.name, func(t *testing.T) {
			gone := make(chan struct{})
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				drain(r)
				write(w, wr.chunk("a"))
				select {
				case <-r.Context().Done():
					close(gone)
				case <-time.After(10 * time.Second):
				}
			})
			stop := errors.New("subscriber gone")
			_, err := wr.newClient(srv.URL, 0).Chat(context.Background(), Request{Model: "m"}, func(string) error { return stop })
			if err != stop {
				t.Fatalf("err = %v, want the callback's error itself", err)
			}
			waitClosed(t, gone, time.Second, "the server to see the request end")
		})
	}
}
