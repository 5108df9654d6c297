package llm

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
)

// A backend target for the behaviour tests: the simulator always, and a real
// Ollama when AI4ARTSED_TEST_OLLAMA_URL is set (see docs/testing.md). The
// real server's models are named by AI4ARTSED_TEST_OLLAMA_MODEL (plain),
// ..._THINK_MODEL (a template with .Thinking), ..._REPEAT_MODEL (repeats
// one token) and ..._BROKEN_MODEL (fails to load); a scenario whose model
// is not named is skipped for that target.
type target struct {
	name                       string
	url                        string
	plain, think, repeat, bust string
}

func targets(t *testing.T) []target {
	t.Helper()
	sim := ollamasim.New(ollamasim.Options{Models: []string{"tiny", "tinythink", "tiny-repeat", "tiny-broken"}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	out := []target{{name: "simulator", url: srv.URL, plain: "tiny", think: "tinythink", repeat: "tiny-repeat", bust: "tiny-broken"}}
	if u := os.Getenv("AI4ARTSED_TEST_OLLAMA_URL"); u != "" {
		out = append(out, target{
			name: "real", url: u,
			plain:  os.Getenv("AI4ARTSED_TEST_OLLAMA_MODEL"),
			think:  os.Getenv("AI4ARTSED_TEST_OLLAMA_THINK_MODEL"),
			repeat: os.Getenv("AI4ARTSED_TEST_OLLAMA_REPEAT_MODEL"),
			bust:   os.Getenv("AI4ARTSED_TEST_OLLAMA_BROKEN_MODEL"),
		})
	}
	return out
}

// forEach runs f as a subtest per target whose model (picked by pick) is set.
func forEach(t *testing.T, pick func(target) string, f func(t *testing.T, c *Ollama, model string)) {
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			model := pick(tg)
			if model == "" {
				t.Skip("no model named for this scenario")
			}
			// Generous limits: a real server loads the model on first use.
			c := NewOllama(tg.url, nil, 2*time.Minute, WithFirstTokenTimeout(2*time.Minute, "test"), WithIdleTimeout(time.Minute, "test"))
			f(t, c, model)
		})
	}
}

var prompt = []Message{{Role: "system", Content: "Rewrite the idea as a picture description."}, {Role: "user", Content: "a lighthouse at dusk"}}

func off() *bool { b := false; return &b }

func TestBehaviourPlainAnswer(t *testing.T) {
	forEach(t, func(tg target) string { return tg.plain }, func(t *testing.T, c *Ollama, model string) {
		var chunks []string
		text, err := c.Chat(context.Background(), Request{Model: model, Messages: prompt, Think: off(), Options: Options{MaxTokens: 24}},
			func(s string) error { chunks = append(chunks, s); return nil })
		if err != nil {
			t.Fatalf("Chat: %v", err)
		}
		if strings.TrimSpace(text) == "" || strings.Join(chunks, "") != text {
			t.Fatalf("text %q from chunks %q", text, chunks)
		}
	})
}

func TestBehaviourThinkingModel(t *testing.T) {
	forEach(t, func(tg target) string { return tg.think }, func(t *testing.T, c *Ollama, model string) {
		req := Request{Model: model, Messages: prompt, Options: Options{MaxTokens: 24}}
		var chunks []string
		_, err := c.Chat(context.Background(), req, func(s string) error { chunks = append(chunks, s); return nil })
		if !errors.Is(err, ErrEmptyAnswer) || len(chunks) != 0 {
			t.Fatalf("no think field: err %v, chunks %q; want ErrEmptyAnswer and no answer chunks", err, chunks)
		}
		res, err := c.ChatResult(context.Background(), req, nil)
		if err != nil || res.Thinking == "" || res.Answer() == "" {
			t.Fatalf("ChatResult = %+v, %v; want the thinking text", res, err)
		}
		req.Think = off()
		text, err := c.Chat(context.Background(), req, nil)
		if err != nil || strings.TrimSpace(text) == "" {
			t.Fatalf("think false: %q, %v; want an answer", text, err)
		}
	})
}

func TestBehaviourRepeatCutoff(t *testing.T) {
	forEach(t, func(tg target) string { return tg.repeat }, func(t *testing.T, c *Ollama, model string) {
		var chunks []string
		res, err := c.ChatResult(context.Background(), Request{Model: model, Messages: prompt, Think: off(), Options: Options{MaxTokens: 200}},
			func(s string) error { chunks = append(chunks, s); return nil })
		if err != nil {
			t.Fatalf("ChatResult: %v", err)
		}
		if !res.Unterminated || res.Text == "" || strings.Join(chunks, "") != res.Text {
			t.Fatalf("result %+v from %d chunks: want the text kept and Unterminated", res, len(chunks))
		}
	})
}

func TestBehaviourLoadFailure(t *testing.T) {
	forEach(t, func(tg target) string { return tg.bust }, func(t *testing.T, c *Ollama, model string) {
		_, err := c.Chat(context.Background(), Request{Model: model, Messages: prompt, Think: off()}, nil)
		if !errors.Is(err, ErrModelLoad) {
			t.Fatalf("err = %v (detail %q), want ErrModelLoad", err, Detail(err))
		}
		if strings.Contains(err.Error(), "/") || Detail(err) == "" {
			t.Errorf("message %q must hold no path; detail %q must hold the server's text", err, Detail(err))
		}
	})
}

func TestBehaviourMissingModel(t *testing.T) {
	forEach(t, func(tg target) string { return tg.plain }, func(t *testing.T, c *Ollama, model string) {
		_, err := c.Chat(context.Background(), Request{Model: "nosuch-model:1b", Messages: prompt}, nil)
		if !errors.Is(err, ErrModelNotFound) || !strings.Contains(err.Error(), "ollama pull nosuch-model:1b") {
			t.Fatalf("err = %v", err)
		}
		missing, err := c.Missing(context.Background(), []string{model, "nosuch-model:1b"})
		if err != nil || len(missing) != 1 || missing[0] != "nosuch-model:1b" {
			t.Fatalf("Missing = %q, %v", missing, err)
		}
	})
}
