// Package llm holds streaming chat clients for Ollama (POST /api/chat, NDJSON)
// and for OpenAI-compatible servers (POST /v1/chat/completions, SSE), behind
// one small Client interface, plus a Router that picks the client for a
// model name of the form "ollama/NAME" or "openai/NAME".
//
// Every error a client returns is classified by one of the sentinels in
// errors.go (check with errors.Is); a cancelled caller context comes back as
// an error satisfying errors.Is(err, context.Canceled).
package llm

import (
	"context"
	"strings"
	"time"
)

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	// Images are images for a vision model (PNG or JPEG bytes), sent
	// base64-encoded as Ollama's "images" and as OpenAI image_url parts.
	Images [][]byte `json:"images,omitempty"`
}

// Options are the sampling parameters of a call. Nil pointers and a zero
// MaxTokens mean "server default".
type Options struct {
	Temperature *float64
	TopP        *float64
	MaxTokens   int
	Seed        *int64
}

// Request is one chat completion request. Model carries the provider prefix
// when given to a Router and no prefix when given to a concrete client.
type Request struct {
	Model    string
	Messages []Message
	Options  Options
	// Think says whether a thinking-capable model should think. Nil leaves
	// it to the server: Ollama then thinks by default on such a model and
	// streams the whole answer as thinking text, leaving the answer empty.
	// Roles whose answer is the text (interception, translation,
	// optimisation) send false. Ollama receives "think"; OpenAI-compatible
	// servers receive nothing, as they share no portable switch (their
	// reasoning text is still parsed and kept apart from the answer).
	Think *bool
}

// Result is the whole outcome of a call, for callers that need more than
// the answer text (see ResultClient).
type Result struct {
	// Text is the answer. Thinking text is never part of it.
	Text string
	// Thinking is the model's thinking text, if it streamed any.
	Thinking string
	// DoneReason is the server's reason for stopping ("stop", "length"),
	// "" when it gave none.
	DoneReason string
	// Truncated: the answer reached the client's character cap, so the
	// client ended the stream itself and kept what had arrived.
	Truncated bool
	// Unterminated: the stream ended without its final frame and without
	// an error, as Ollama does after more than 30 identical tokens; Text is
	// what arrived.
	Unterminated bool
	// LoadDuration is the time the server reports it spent loading the
	// model for this call (Ollama's load_duration; 0 when not reported).
	LoadDuration time.Duration
}

// AnswerText applies Chat's rule to a ChatResult outcome of provider's
// client: the answer text, or ErrEmptyAnswer when it is blank.
func AnswerText(provider string, res Result, err error) (string, error) {
	return textOnly(provider, res, err)
}

// Answer returns the answer text trimmed, or when it is blank the thinking
// text trimmed: where a judge reads its verdict from.
func (r Result) Answer() string {
	if s := strings.TrimSpace(r.Text); s != "" {
		return s
	}
	return strings.TrimSpace(r.Thinking)
}

// Client streams a chat completion. fn receives each piece of text as it
// arrives (fn may be nil); an error from fn stops the stream and is returned
// unchanged. Chat returns the full concatenated text; on error it returns the
// text received so far together with the error.
type Client interface {
	Chat(ctx context.Context, req Request, fn func(chunk string) error) (string, error)
}

// ResultClient is a Client that can also return the whole Result. Ollama,
// OpenAI and Router implement it.
type ResultClient interface {
	Client
	// ChatResult is Chat returning the whole Result, for judge roles where
	// a thinking model may think: chunks to fn are answer text only, and an
	// empty answer is no error when thinking text arrived (read the verdict
	// with Result.Answer). ErrEmptyAnswer comes only when both are blank.
	// Chat itself fails with ErrEmptyAnswer whenever the answer is blank.
	ChatResult(ctx context.Context, req Request, fn func(chunk string) error) (Result, error)
}

// answered applies ChatResult's rule: an error stands; otherwise a result
// with neither answer nor thinking text is ErrEmptyAnswer.
func answered(provider string, res Result, err error) (Result, error) {
	if err != nil || res.Answer() != "" {
		return res, err
	}
	return res, newKindError(ErrEmptyAnswer, nil, "llm: %s: the model gave an empty answer", provider)
}

// textOnly applies Chat's rule on a ChatResult outcome: the answer text
// must not be blank, whatever thinking text came with it.
func textOnly(provider string, res Result, err error) (string, error) {
	if err != nil {
		return res.Text, err
	}
	if strings.TrimSpace(res.Text) != "" {
		return res.Text, nil
	}
	if strings.TrimSpace(res.Thinking) != "" {
		return "", newKindError(ErrEmptyAnswer, nil,
			"llm: %s: the model gave an empty answer (it only produced thinking text; the request should say think: false)", provider)
	}
	return "", newKindError(ErrEmptyAnswer, nil, "llm: %s: the model gave an empty answer", provider)
}
