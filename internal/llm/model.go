package llm

import (
	"context"
	"fmt"
	"strings"
)

// Provider names as used in model names and as backend keys.
const (
	ProviderOllama = "ollama"
	ProviderOpenAI = "openai"
)

// ParseModel splits a configured model name into provider and model:
// "ollama/llama3.2:3b" → ("ollama", "llama3.2:3b"), "openai/gpt-4o-mini" →
// ("openai", "gpt-4o-mini"), "mistral" → ("ollama", "mistral"). A prefix that
// is not a provider is part of an Ollama name ("foo/bar" → ("ollama",
// "foo/bar")), since Ollama namespaces use a slash. The provider prefix is
// matched case-insensitively. An empty name is ErrInvalidModel.
func ParseModel(s string) (provider, name string, err error) {
	s = strings.TrimSpace(s)
	if prefix, rest, ok := strings.Cut(s, "/"); ok {
		switch p := strings.ToLower(prefix); p {
		case ProviderOllama, ProviderOpenAI:
			provider, name = p, strings.TrimSpace(rest)
		}
	}
	if provider == "" {
		provider, name = ProviderOllama, s
	}
	if name == "" {
		return "", "", fmt.Errorf("%w: %q names no model", ErrInvalidModel, s)
	}
	return provider, name, nil
}

// Router dispatches a request to the client of the provider named by its
// model. A nil member means the provider is not configured.
type Router struct {
	Ollama Client
	OpenAI Client
}

// Chat parses req.Model (with provider prefix), strips the prefix and calls
// the provider's client. It returns ErrInvalidModel for an empty model and
// ErrNotConfigured when the provider has no client.
func (r *Router) Chat(ctx context.Context, req Request, fn func(string) error) (string, error) {
	provider, name, err := ParseModel(req.Model)
	if err != nil {
		return "", err
	}
	c := r.client(provider)
	if c == nil {
		return "", newKindError(ErrNotConfigured, nil, "llm: provider %s is not configured (model %s)", provider, req.Model)
	}
	req.Model = name
	return c.Chat(ctx, req, fn)
}

// ChatResult is Chat returning the whole Result (see ResultClient). A
// provider client that is not a ResultClient is called through Chat, and
// its Result holds the text only.
func (r *Router) ChatResult(ctx context.Context, req Request, fn func(string) error) (Result, error) {
	provider, name, err := ParseModel(req.Model)
	if err != nil {
		return Result{}, err
	}
	c := r.client(provider)
	if c == nil {
		return Result{}, newKindError(ErrNotConfigured, nil, "llm: provider %s is not configured (model %s)", provider, req.Model)
	}
	req.Model = name
	if rc, ok := c.(ResultClient); ok {
		return rc.ChatResult(ctx, req, fn)
	}
	text, err := c.Chat(ctx, req, fn)
	return Result{Text: text}, err
}

// Backend returns the provider key ("ollama" or "openai") a model is served
// by, for per-backend queues. An unparsable name counts as "ollama".
func (r *Router) Backend(model string) string {
	provider, _, err := ParseModel(model)
	if err != nil {
		return ProviderOllama
	}
	return provider
}

func (r *Router) client(provider string) Client {
	switch provider {
	case ProviderOllama:
		return r.Ollama
	case ProviderOpenAI:
		return r.OpenAI
	}
	return nil
}
