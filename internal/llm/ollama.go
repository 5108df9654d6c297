package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Ollama is a client of Ollama's native chat API (POST /api/chat, NDJSON
// streaming). It is safe for concurrent use.
type Ollama struct {
	t    transport
	base string
}

// NewOllama returns a client for the Ollama server at baseURL (for example
// http://127.0.0.1:11434). hc nil means http.DefaultClient; timeout bounds
// each generation from its first token (0 = no limit beyond the caller's
// context; see WithFirstTokenTimeout for the wait before it); opts set the
// other limits and the logger.
func NewOllama(baseURL string, hc *http.Client, timeout time.Duration, opts ...Option) *Ollama {
	base := strings.TrimRight(baseURL, "/")
	return &Ollama{t: newTransport("ollama", base, hc, timeout, opts), base: base}
}

type ollamaOptions struct {
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	NumPredict  int      `json:"num_predict,omitempty"`
	Seed        *int64   `json:"seed,omitempty"`
}

type ollamaChatRequest struct {
	Model    string         `json:"model"`
	Messages []Message      `json:"messages"`
	Stream   bool           `json:"stream"`
	Options  *ollamaOptions `json:"options,omitempty"`
	Think    *bool          `json:"think,omitempty"`
}

type ollamaFrame struct {
	Message struct {
		Content  string `json:"content"`
		Thinking string `json:"thinking"`
	} `json:"message"`
	Done         bool            `json:"done"`
	DoneReason   string          `json:"done_reason"`
	LoadDuration int64           `json:"load_duration"` // nanoseconds, in the final frame
	Error        json.RawMessage `json:"error"`
}

// Chat streams a chat completion from /api/chat. req.Model is the Ollama
// model name without provider prefix. A blank answer is ErrEmptyAnswer. A
// nil client answers ErrNotConfigured.
func (o *Ollama) Chat(ctx context.Context, req Request, fn func(chunk string) error) (string, error) {
	res, err := o.ChatResult(ctx, req, fn)
	return textOnly(o.provider(), res, err)
}

// ChatResult is Chat returning the whole Result (see ResultClient).
func (o *Ollama) ChatResult(ctx context.Context, req Request, fn func(chunk string) error) (Result, error) {
	if o == nil {
		return Result{}, newKindError(ErrNotConfigured, nil, "llm: %s client is not configured", "ollama")
	}
	body, err := json.Marshal(ollamaChatRequest{
		Model:    req.Model,
		Messages: nonNil(req.Messages),
		Stream:   true,
		Options:  ollamaOpts(req.Options),
		Think:    req.Think,
	})
	if err != nil {
		return Result{}, newKindError(ErrBadResponse, err, "llm: ollama: encode request")
	}
	model := req.Model
	res, err := o.t.run(ctx, exchange{
		url:  o.base + "/api/chat",
		body: body,
		header: http.Header{
			"Content-Type": {"application/json"},
			"Accept":       {"application/x-ndjson"},
		},
		model: model,
		limit: o.t.answerCap(req.Options),
		notFound: func(msg string) error {
			return withDetail(ErrModelNotFound, msg, fmt.Sprintf("llm: model %s is not installed: run `ollama pull %s`", model, model))
		},
		read: o.read,
	}, fn)
	return answered(o.provider(), res, err)
}

func (o *Ollama) provider() string { return "ollama" }

// read consumes the NDJSON stream until the done frame. A stream that ends
// cleanly without it is errUnterminated.
func (o *Ollama) read(r io.Reader, c *collector) error {
	sc := newScanner(r)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var f ollamaFrame
		if err := json.Unmarshal(line, &f); err != nil {
			return o.t.badLine(line, err)
		}
		if msg, ok := errorMessage(f.Error); ok {
			return withDetail(ErrUpstream, msg, "llm: ollama reported an error during the answer")
		}
		if err := c.think(f.Message.Thinking); err != nil {
			return err
		}
		if err := c.emit(f.Message.Content); err != nil {
			return err
		}
		if f.Done {
			c.doneReason = f.DoneReason
			c.loadDuration = time.Duration(max(f.LoadDuration, 0))
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return o.t.readErr(err)
	}
	return errUnterminated
}

func ollamaOpts(o Options) *ollamaOptions {
	if o.Temperature == nil && o.TopP == nil && o.MaxTokens == 0 && o.Seed == nil {
		return nil
	}
	return &ollamaOptions{Temperature: o.Temperature, TopP: o.TopP, NumPredict: o.MaxTokens, Seed: o.Seed}
}

// nonNil makes an absent message list encode as [] rather than null.
func nonNil(m []Message) []Message {
	if m == nil {
		return []Message{}
	}
	return m
}
