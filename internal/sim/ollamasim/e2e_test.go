package ollamasim_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
)

// clients returns both real clients pointed at one simulator.
func clients(t *testing.T, opts ollamasim.Options) (*ollamasim.Server, map[string]llm.Client) {
	t.Helper()
	sim := ollamasim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, map[string]llm.Client{
		"ollama":    llm.NewOllama(srv.URL, srv.Client(), 10*time.Second),
		"openai":    llm.NewOpenAI(srv.URL, "", srv.Client(), 10*time.Second),
		"openai/v1": llm.NewOpenAI(srv.URL+"/v1", "sk-ignored", srv.Client(), 10*time.Second),
	}
}

func TestClientsAgainstSimulator(t *testing.T) {
	msgs := []llm.Message{{Role: "system", Content: "Rewrite as a fairy tale."}, {Role: "user", Content: "eine Katze auf dem Dach"}}
	want := ollamasim.Reply("llama3.2:3b", []ollamasim.Message{{Role: "system", Content: msgs[0].Content}, {Role: "user", Content: msgs[1].Content}})
	sim, cs := clients(t, ollamasim.Options{Models: []string{"llama3.2:3b"}, TokenDelay: time.Millisecond})
	for name, c := range cs {
		t.Run(name, func(t *testing.T) {
			var chunks []string
			text, err := c.Chat(context.Background(), llm.Request{Model: "llama3.2:3b", Messages: msgs}, func(s string) error {
				chunks = append(chunks, s)
				return nil
			})
			if err != nil {
				t.Fatalf("Chat: %v", err)
			}
			if text != want || strings.Join(chunks, "") != want || len(chunks) != len(ollamasim.Tokens(want)) {
				t.Fatalf("text %q in %d chunks, want %q in %d", text, len(chunks), want, len(ollamasim.Tokens(want)))
			}
		})
	}
	// The client may return on the final frame before the handler has
	// recorded that it sent it: wait for the records to settle.
	deadline := time.Now().Add(5 * time.Second)
	for {
		done := true
		for _, r := range sim.Requests() {
			done = done && r.Completed
		}
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, r := range sim.Requests() {
		if !r.Completed || !r.Stream || r.Cancelled || len(r.Messages) != 2 {
			t.Errorf("record %+v", r)
		}
	}
}

func TestClientErrorsAgainstSimulator(t *testing.T) {
	tests := []struct {
		name string
		opts ollamasim.Options
		ok   bool
		want error
	}{
		{name: "missing model", opts: ollamasim.Options{Models: []string{"other"}}, want: llm.ErrModelNotFound},
		{name: "fails mid-stream", opts: ollamasim.Options{Models: []string{"m"}, FailAfterTokens: 3}, want: llm.ErrUpstream},
		{name: "starting", opts: ollamasim.Options{Models: []string{"m"}, StartupDelay: time.Hour}, want: llm.ErrUpstream},
		{name: "safety verdict", opts: ollamasim.Options{Models: []string{"m"}}, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, cs := clients(t, tt.opts)
			for name, c := range cs {
				text, err := c.Chat(context.Background(), llm.Request{Model: "m", Messages: []llm.Message{
					{Role: "system", Content: "Reply SAFE or UNSAFE."}, {Role: "user", Content: "a knife"},
				}}, nil)
				if tt.ok {
					if err != nil || !strings.HasPrefix(text, "UNSAFE:") {
						t.Errorf("%s: %q, %v", name, text, err)
					}
					continue
				}
				if !errors.Is(err, tt.want) {
					t.Errorf("%s: err = %v, want %v", name, err, tt.want)
				}
			}
		})
	}
}

func TestClientCancelReachesSimulator(t *testing.T) {
	sim, cs := clients(t, ollamasim.Options{Models: []string{"m"}, TokenDelay: 100 * time.Millisecond})
	i := 0
	for name, c := range cs {
		i++
		ctx, cancel := context.WithCancel(context.Background())
		_, err := c.Chat(ctx, llm.Request{Model: "m", Messages: []llm.Message{{Role: "user", Content: "slow"}}}, func(string) error {
			cancel()
			return nil
		})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", name, err)
		}
		wctx, wcancel := context.WithTimeout(context.Background(), time.Second)
		for {
			recs := sim.Requests()
			if len(recs) == i && recs[i-1].Cancelled {
				break
			}
			select {
			case <-wctx.Done():
				t.Fatalf("%s: the simulator never saw the cancellation: %+v", name, recs)
			case <-time.After(5 * time.Millisecond):
			}
		}
		wcancel()
	}
}

func TestModelsAgainstSimulator(t *testing.T) {
	srv := httptest.NewServer(ollamasim.New(ollamasim.Options{Models: []string{"mistral", "llama3.2:3b"}}))
	defer srv.Close()
	names, err := llm.NewOllama(srv.URL, srv.Client(), time.Second).Models(context.Background())
	if err != nil || strings.Join(names, ",") != "llama3.2:3b,mistral:latest" {
		t.Fatalf("Models = %q, %v", names, err)
	}
}
