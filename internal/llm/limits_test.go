package llm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// pausing returns a handler that waits before, streams n chunks gap apart,
// then stalls for stall (0: sends the final frame).
func pausing(wr wire, before time.Duration, n int, gap, stall time.Duration) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		drain(r)
		pause := func(d time.Duration) bool {
			select {
			case <-r.Context().Done():
				return false
			case <-time.After(d):
				return true
			}
		}
		if !pause(before) {
			return
		}
		for i := range n {
			if i > 0 && !pause(gap) {
				return
			}
			write(w, wr.chunk(fmt.Sprintf("t%d ", i)))
		}
		if stall > 0 {
			pause(stall)
			return
		}
		write(w, wr.final())
	}
}

// TestDeadlines: each of the three deadlines ends the call it should, with
// its own message, and the wait before the first token does not count
// against the overall timeout.
func TestDeadlines(t *testing.T) {
	const short = 150 * time.Millisecond
	tests := []struct {
		name               string
		before, gap, stall time.Duration
		n                  int
		total, first, idle time.Duration
		wantErr            string // "" = success
	}{
		{name: "first token late", before: 600 * time.Millisecond, n: 2, total: time.Minute, first: short, idle: time.Minute,
			wantErr: "no first token within 150ms (FIRST)"},
		{name: "waiting does not count against the total", before: 400 * time.Millisecond, n: 3, gap: 10 * time.Millisecond,
			total: 250 * time.Millisecond, first: 2 * time.Second, idle: time.Second},
		{name: "idle between tokens", n: 2, stall: time.Second, total: time.Minute, first: time.Second, idle: short,
			wantErr: "no new token for 150ms (IDLE)"},
		{name: "generation too long", n: 40, gap: 20 * time.Millisecond, total: 300 * time.Millisecond, first: time.Second, idle: time.Second,
			wantErr: "the answer took longer than 300ms (TOTAL)"},
		{name: "total alone covers the wait", before: time.Second, n: 1, total: short,
			wantErr: "the answer took longer than 150ms (TOTAL)"},
	}
	for _, wr := range wires {
		for _, tt := range tests {
			t.Run(wr.name+"/"+tt.name, func(t *testing.T) {
				srv := newServer(t, pausing(wr, tt.before, tt.n, tt.gap, tt.stall))
				opts := []Option{WithTimeoutSetting("TOTAL"), WithFirstTokenTimeout(tt.first, "FIRST"), WithIdleTimeout(tt.idle, "IDLE")}
				var c chatter = NewOllama(srv.URL, nil, tt.total, opts...)
				if wr.name == "openai" {
					c = NewOpenAI(srv.URL, "", nil, tt.total, opts...)
				}
				text, err := c.Chat(context.Background(), Request{Model: "m"}, nil)
				if tt.wantErr == "" {
					if err != nil || text == "" {
						t.Fatalf("Chat = %q, %v; want success", text, err)
					}
					return
				}
				errIs(t, err, ErrTimeout, context.DeadlineExceeded)
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("message %q, want it to say %q", err, tt.wantErr)
				}
			})
		}
	}
}

// TestAnswerCap: an answer that never ends is cut at the cap; the call
// returns what arrived with no error, closes the upstream request and says
// it was cut, in the Result and in the log.
func TestAnswerCap(t *testing.T) {
	tests := []struct {
		name      string
		maxTokens int
		clientCap int
		want      int
	}{
		{name: "client-wide cap", clientCap: 100, want: 100},
		{name: "from MaxTokens", maxTokens: 5, clientCap: 100, want: 5 * charsPerToken},
	}
	for _, wr := range wires {
		for _, tt := range tests {
			t.Run(wr.name+"/"+tt.name, func(t *testing.T) {
				gone := make(chan struct{})
				srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
					drain(r)
					defer close(gone)
					for {
						select {
						case <-r.Context().Done():
							return
						case <-time.After(time.Millisecond):
							write(w, wr.chunk("ab"))
						}
					}
				})
				var logged bytes.Buffer
				opts := []Option{WithMaxAnswer(tt.clientCap), WithLogger(slog.New(slog.NewTextHandler(&logged, nil)))}
				var c ResultClient = NewOllama(srv.URL, nil, 10*time.Second, opts...)
				if wr.name == "openai" {
					c = NewOpenAI(srv.URL, "", nil, 10*time.Second, opts...)
				}
				var sent strings.Builder
				res, err := c.ChatResult(context.Background(), Request{Model: "m", Options: Options{MaxTokens: tt.maxTokens}},
					func(s string) error { sent.WriteString(s); return nil })
				if err != nil {
					t.Fatalf("ChatResult: %v", err)
				}
				if len(res.Text) != tt.want || !res.Truncated || sent.String() != res.Text {
					t.Fatalf("got %d chars (truncated %v, %d sent), want %d", len(res.Text), res.Truncated, sent.Len(), tt.want)
				}
				waitClosed(t, gone, 2*time.Second, "the upstream request to be closed")
				if !strings.Contains(logged.String(), "character cap") {
					t.Errorf("log %q has no note of the cut", logged.String())
				}
			})
		}
	}
}

// TestThinkingFrames: thinking text on either wire never reaches fn nor the
// answer; an answer made only of thinking is ErrEmptyAnswer for Chat and a
// verdict source for ChatResult.
func TestThinkingFrames(t *testing.T) {
	think := map[string]func(string) string{
		"ollama": func(s string) string {
			return fmt.Sprintf(`{"model":"m","message":{"role":"assistant","content":"","thinking":%s},"done":false}`+"\n", jsonString(s))
		},
		"openai": func(s string) string {
			return fmt.Sprintf(`data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning_content":%s},"finish_reason":null}]}`+"\n\n", jsonString(s))
		},
		"openai-reasoning": func(s string) string {
			return fmt.Sprintf(`data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning":%s},"finish_reason":null}]}`+"\n\n", jsonString(s))
		},
	}
	for name, th := range think {
		wr := wires[0]
		if name != "ollama" {
			wr = wires[1]
		}
		for _, answer := range []string{"", "SAFE"} {
			t.Run(fmt.Sprintf("%s/answer=%q", name, answer), func(t *testing.T) {
				srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
					drain(r)
					write(w, th("Is it "))
					write(w, th("harmful? No."))
					if answer != "" {
						write(w, wr.chunk(answer))
					}
					write(w, wr.final())
				})
				var c ResultClient = NewOllama(srv.URL, nil, time.Minute)
				if wr.name == "openai" {
					c = NewOpenAI(srv.URL, "", nil, time.Minute)
				}
				var chunks []string
				text, err := c.Chat(context.Background(), Request{Model: "m"}, func(s string) error { chunks = append(chunks, s); return nil })
				res, rerr := c.ChatResult(context.Background(), Request{Model: "m"}, nil)
				if rerr != nil || res.Thinking != "Is it harmful? No." || res.Text != answer {
					t.Fatalf("ChatResult = %+v, %v", res, rerr)
				}
				if answer == "" {
					if !errors.Is(err, ErrEmptyAnswer) || len(chunks) != 0 || !strings.Contains(err.Error(), "thinking") {
						t.Fatalf("Chat = %q, %v, chunks %q; want ErrEmptyAnswer naming thinking", text, err, chunks)
					}
					if res.Answer() != "Is it harmful? No." {
						t.Errorf("Answer() = %q, want the thinking", res.Answer())
					}
					return
				}
				if err != nil || text != answer || strings.Join(chunks, "") != answer || res.Answer() != answer {
					t.Fatalf("Chat = %q, %v, chunks %q", text, err, chunks)
				}
			})
		}
	}
}

// TestEmptyAnswer: a whitespace answer that ends normally is no success.
func TestEmptyAnswer(t *testing.T) {
	for _, wr := range wires {
		t.Run(wr.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				drain(r)
				write(w, wr.chunk(" \n "))
				write(w, wr.final())
			})
			_, err := wr.newClient(srv.URL, time.Minute).Chat(context.Background(), Request{Model: "m"}, nil)
			errIs(t, err, ErrEmptyAnswer)
		})
	}
}

// TestThinkSent: Think reaches Ollama as "think" and is absent otherwise;
// OpenAI-compatible servers never get it.
func TestThinkSent(t *testing.T) {
	for _, tt := range []struct {
		think *bool
		want  string
	}{{nil, ""}, {off(), `"think":false`}, {new(true), `"think":true`}} {
		for _, wr := range wires {
			t.Run(fmt.Sprintf("%s/%s", wr.name, tt.want), func(t *testing.T) {
				var body string
				srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
					var b bytes.Buffer
					_, _ = b.ReadFrom(r.Body)
					body = b.String()
					write(w, wr.chunk("ok"))
					write(w, wr.final())
				})
				if _, err := wr.newClient(srv.URL, time.Minute).Chat(context.Background(), Request{Model: "m", Think: tt.think}, nil); err != nil {
					t.Fatal(err)
				}
				want := tt.want
				if wr.name == "openai" {
					want = ""
				}
				if strings.Contains(body, "think") != (want != "") || !strings.Contains(body, want) {
					t.Errorf("body %s, want %q", body, want)
				}
			})
		}
	}
}
