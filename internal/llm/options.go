package llm

import (
	"log/slog"
	"time"
)

// DefaultMaxAnswer is the client-wide cap on an answer, in characters, when
// the request gives no MaxTokens and WithMaxAnswer is not used.
const DefaultMaxAnswer = 16000

// charsPerToken converts a request's MaxTokens into a character cap. It is
// generous (tokens average about four characters) because the cap only
// guards against servers that ignore the token limit.
const charsPerToken = 8

// Option configures a client built by NewOllama or NewOpenAI.
type Option func(*transport)

// WithFirstTokenTimeout bounds the wait for the first token of an answer
// (or of its thinking): connecting, waiting in the server's own queue,
// loading the model and reading the prompt. setting names the setting in
// the error message ("" = "first-token timeout"). 0 disables it.
func WithFirstTokenTimeout(d time.Duration, setting string) Option {
	return func(t *transport) { t.firstToken, t.firstTokenName = d, nameOr(setting, "first-token timeout") }
}

// WithIdleTimeout bounds the gap between two tokens once the first has
// arrived. setting names it in the error message ("" = "idle timeout").
// 0 disables it.
func WithIdleTimeout(d time.Duration, setting string) Option {
	return func(t *transport) { t.idle, t.idleName = d, nameOr(setting, "idle timeout") }
}

// WithTimeoutSetting names the overall timeout given to the constructor in
// its error message (e.g. "OLLAMA_TIMEOUT").
func WithTimeoutSetting(setting string) Option {
	return func(t *transport) { t.timeoutName = nameOr(setting, "call timeout") }
}

// WithMaxAnswer sets the client-wide answer cap in characters, used when a
// request has no MaxTokens (default DefaultMaxAnswer; < 0 means no cap).
// A request's MaxTokens gives a cap of 8 characters per token instead.
// Thinking text is capped at the same bound. At the cap the client closes
// the stream and returns what arrived with no error (Result.Truncated).
func WithMaxAnswer(chars int) Option {
	return func(t *transport) { t.maxAnswer = chars }
}

// WithLogger sets where the client notes unusual but successful ends: an
// answer cut at the cap, a stream that ended without its final frame.
func WithLogger(l *slog.Logger) Option {
	return func(t *transport) {
		if l != nil {
			t.log = l
		}
	}
}

func nameOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// answerCap returns the character cap for a request (0 = none).
func (t *transport) answerCap(o Options) int {
	if o.MaxTokens > 0 {
		return o.MaxTokens * charsPerToken
	}
	return max(t.maxAnswer, 0)
}
