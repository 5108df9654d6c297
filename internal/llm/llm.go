// Package llm holds streaming chat clients for Ollama (POST /api/chat, NDJSON)
// and for OpenAI-compatible servers (POST /v1/chat/completions, SSE), behind
// one small Client interface, plus a Router that picks the client for a
// model name of the form "ollama/NAME" or "openai/NAME".
//
// Every error a client returns is classified by one of the sentinels in
// errors.go (check with errors.Is); a cancelled caller context comes back as
// an error satisfying errors.Is(err, context.Canceled).
package llm

import "context"

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
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
}

// Client streams a chat completion. fn receives each piece of text as it
// arrives (fn may be nil); an error from fn stops the stream and is returned
// unchanged. Chat returns the full concatenated text; on error it returns the
// text received so far together with the error.
type Client interface {
	Chat(ctx context.Context, req Request, fn func(chunk string) error) (string, error)
}
