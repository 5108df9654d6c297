package ollamasim_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
)

var userMsg = []llm.Message{{Role: "system", Content: "Rewrite as a fairy tale."}, {Role: "user", Content: "a cat on a roof"}}

func no() *bool { b := false; return &b }

// TestThinkingModel: a thinking model streams its answer as thinking unless
// the request says think: false, on both wire formats; our client keeps the
// thinking apart and calls a blank answer ErrEmptyAnswer.
func TestThinkingModel(t *testing.T) {
	const model = "qwen3-think:4b"
	want := ollamasim.Reply(model, []ollamasim.Message{{Role: "system", Content: userMsg[0].Content}, {Role: "user", Content: userMsg[1].Content}})
	sim, cs := clients(t, ollamasim.Options{Models: []string{model}})
	for name, c := range cs {
		rc := c.(llm.ResultClient)
		t.Run(name+"/default thinks", func(t *testing.T) {
			var chunks []string
			text, err := c.Chat(context.Background(), llm.Request{Model: model, Messages: userMsg}, func(s string) error {
				chunks = append(chunks, s)
				return nil
			})
			if !errors.Is(err, llm.ErrEmptyAnswer) || text != "" || len(chunks) != 0 {
				t.Fatalf("Chat = %q, %v with chunks %q; want ErrEmptyAnswer and no chunks", text, err, chunks)
			}
			res, err := rc.ChatResult(context.Background(), llm.Request{Model: model, Messages: userMsg}, nil)
			if err != nil || res.Text != "" || res.Thinking != want || res.Answer() != strings.TrimSpace(want) {
				t.Fatalf("ChatResult = %+v, %v; want the reply as thinking", res, err)
			}
		})
	}
	t.Run("ollama/think false answers", func(t *testing.T) {
		text, err := cs["ollama"].Chat(context.Background(), llm.Request{Model: model, Messages: userMsg, Think: no()}, nil)
		if err != nil || text != want {
			t.Fatalf("Chat = %q, %v; want %q", text, err, want)
		}
		reqs := sim.Requests()
		last := reqs[len(reqs)-1]
		if last.Think == nil || *last.Think || last.Thinking {
			t.Fatalf("record %+v: want think=false received and no thinking", last)
		}
	})
	t.Run("ollama/think true on a plain model is 400", func(t *testing.T) {
		_, cs := clients(t, ollamasim.Options{Models: []string{"plain"}})
		yes := true
		_, err := cs["ollama"].Chat(context.Background(), llm.Request{Model: "plain", Messages: userMsg, Think: &yes}, nil)
		var se *llm.StatusError
		if !errors.As(err, &se) || se.StatusCode != http.StatusBadRequest || !strings.Contains(llm.Detail(err), "does not support thinking") {
			t.Fatalf("err = %v (detail %q)", err, llm.Detail(err))
		}
	})
}

// TestRepeatCutoff: after more than 30 identical tokens the stream ends
// with no done frame; the client keeps what arrived and says so.
func TestRepeatCutoff(t *testing.T) {
	const model = "tiny-repeat"
	sim, cs := clients(t, ollamasim.Options{Models: []string{model}})
	for name, c := range cs {
		t.Run(name, func(t *testing.T) {
			var chunks []string
			res, err := c.(llm.ResultClient).ChatResult(context.Background(), llm.Request{Model: model, Messages: userMsg, Think: no()},
				func(s string) error { chunks = append(chunks, s); return nil })
			if err != nil {
				t.Fatalf("ChatResult: %v", err)
			}
			if !res.Unterminated || !strings.HasSuffix(res.Text, strings.Repeat("x", 31)) || strings.HasSuffix(res.Text, strings.Repeat("x", 32)) {
				t.Fatalf("result %+v: want 31 x and Unterminated", res)
			}
			if strings.Join(chunks, "") != res.Text {
				t.Errorf("chunks %q do not add up to the text", chunks)
			}
		})
	}
	for _, r := range sim.Requests() {
		if !r.RepeatCut || r.Completed || r.Cancelled {
			t.Errorf("record %+v: want RepeatCut", r)
		}
	}
}

// TestLoadFailure: a broken model answers 500 with a path-laden message;
// the client's error is ErrModelLoad and its text holds no path.
func TestLoadFailure(t *testing.T) {
	_, cs := clients(t, ollamasim.Options{Models: []string{"tiny-broken"}})
	for name, c := range cs {
		t.Run(name, func(t *testing.T) {
			_, err := c.Chat(context.Background(), llm.Request{Model: "tiny-broken", Messages: userMsg}, nil)
			if !errors.Is(err, llm.ErrModelLoad) || !errors.Is(err, llm.ErrUpstream) {
				t.Fatalf("err = %v, want ErrModelLoad", err)
			}
			if strings.Contains(err.Error(), "/") || !strings.Contains(err.Error(), "could not be loaded") {
				t.Errorf("message %q: want no path", err)
			}
			if d := llm.Detail(err); !strings.Contains(d, "/var/lib/ollama/models/blobs/") || !strings.Contains(d, "\n") {
				t.Errorf("detail %q: want the multi-line server message", d)
			}
		})
	}
}

// TestSerialByDefault: with the default Parallel, generations run one at a
// time and the rest wait inside the server; Parallel 2 runs two.
func TestSerialByDefault(t *testing.T) {
	for _, tt := range []struct {
		parallel, want int
	}{{0, 1}, {1, 1}, {2, 2}, {-1, 3}} {
		sim := ollamasim.New(ollamasim.Options{Models: []string{"m"}, Parallel: tt.parallel, FirstTokenDelay: 100 * time.Millisecond})
		srv := httptest.NewServer(sim)
		c := llm.NewOllama(srv.URL, srv.Client(), 10*time.Second)
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				if _, err := c.Chat(context.Background(), llm.Request{Model: "m", Messages: userMsg}, nil); err != nil {
					t.Errorf("Chat: %v", err)
				}
			})
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := sim.WaitRequests(ctx, 3); err != nil {
			t.Fatal(err)
		}
		cancel()
		wg.Wait()
		srv.Close()
		if got := sim.MaxInFlight(); got != tt.want {
			t.Errorf("parallel %d: max in flight %d, want %d", tt.parallel, got, tt.want)
		}
		if sim.Waiting() != 0 || sim.InFlight() != 0 {
			t.Errorf("parallel %d: %d waiting, %d in flight at the end", tt.parallel, sim.Waiting(), sim.InFlight())
		}
	}
}

// TestPromptTruncation: a prompt longer than the context is cut silently
// from the front; the answer no longer sees the first words.
func TestPromptTruncation(t *testing.T) {
	sim, cs := clients(t, ollamasim.Options{Models: []string{"m"}, ContextLength: 40})
	long := "zebra " + strings.Repeat("lantern ", 60)
	text, err := cs["ollama"].Chat(context.Background(), llm.Request{Model: "m", Messages: []llm.Message{
		{Role: "system", Content: "Rewrite."}, {Role: "user", Content: "an old message"}, {Role: "user", Content: long}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(text), "zebra") {
		t.Errorf("answer %q still sees the cut words", text)
	}
	rec := sim.Requests()[0]
	if !rec.PromptTruncated || rec.PromptTokens > 40 || len(rec.Messages) != 3 {
		t.Errorf("record %+v: want the prompt cut to 40 tokens, the received messages kept", rec)
	}
}

// TestTagsAndPs compares the fields of /api/tags and /api/ps with the
// captured real answers.
func TestTagsAndPs(t *testing.T) {
	sim, cs := clients(t, ollamasim.Options{Models: []string{"tiny", "tinythink"}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	get := func(path string) map[string]any {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		return v
	}
	if ps := get("/api/ps"); len(ps["models"].([]any)) != 0 {
		t.Fatalf("ps before any use: %v", ps)
	}
	tags := get("/api/tags")["models"].([]any)
	wantTag := []string{"name", "model", "modified_at", "size", "digest", "details", "capabilities"}
	wantDetails := []string{"parent_model", "format", "family", "families", "parameter_size", "quantization_level", "context_length", "embedding_length"}
	for _, m := range tags {
		m := m.(map[string]any)
		hasKeys(t, "tags model", m, wantTag)
		hasKeys(t, "tags details", m["details"].(map[string]any), wantDetails)
		caps := m["capabilities"].([]any)
		thinks := len(caps) == 2 && caps[1] == "thinking"
		if caps[0] != "completion" || thinks != strings.Contains(m["name"].(string), "think") {
			t.Errorf("%s: capabilities %v", m["name"], caps)
		}
	}
	if _, err := cs["ollama"].Chat(context.Background(), llm.Request{Model: "tiny", Messages: userMsg}, nil); err != nil {
		t.Fatal(err)
	}
	ps := get("/api/ps")["models"].([]any)
	if len(ps) != 1 {
		t.Fatalf("ps after one use: %v", ps)
	}
	m := ps[0].(map[string]any)
	hasKeys(t, "ps model", m, []string{"name", "model", "size", "digest", "details", "expires_at", "size_vram", "context_length"})
	hasKeys(t, "ps details", m["details"].(map[string]any), wantDetails[:6])
	exp, _ := time.Parse(time.RFC3339Nano, m["expires_at"].(string))
	if m["name"] != "tiny:latest" || m["context_length"].(float64) != 4096 || time.Until(exp) < 4*time.Minute {
		t.Errorf("ps entry %v", m)
	}
}

// hasKeys fails unless m has exactly the keys want.
func hasKeys(t *testing.T, what string, m map[string]any, want []string) {
	t.Helper()
	if len(m) != len(want) {
		t.Errorf("%s has %d keys %v, want %v", what, len(m), m, want)
	}
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks %q: %v", what, k, m)
		}
	}
}
