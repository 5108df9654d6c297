package ollamasim

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Model name markers: a model whose name contains one (any case) has the
// matching quirk of a real Ollama.
const (
	// MarkerThink: a thinking-capable model. Unless the request says
	// "think": false, it streams its whole answer as thinking text with
	// empty content, as the captured tiny thinking model did; on /v1 the
	// text goes to delta.reasoning. /api/tags lists "thinking" among its
	// capabilities. Options.Thinking names more such models.
	MarkerThink = "think"
	// MarkerRepeat: a model that says two words and then repeats one token
	// until the server's repeated-token cutoff ends the 200 stream with no
	// done frame and no error.
	MarkerRepeat = "repeat"
	// MarkerBroken: a model that fails to load: every generation request
	// gets HTTP 500 with a multi-line message holding server paths.
	MarkerBroken = "broken"
)

// defaultContextLength is the context the captured server reported.
const defaultContextLength = 4096

// defaultKeepAlive is how long a model stays loaded after its last use.
const defaultKeepAlive = 5 * time.Minute

// isMarked reports whether a model name carries a marker.
func isMarked(model, marker string) bool {
	return strings.Contains(strings.ToLower(model), marker)
}

// thinkingModel reports whether a model can think.
func (s *Server) thinkingModel(model string) bool {
	return isMarked(model, MarkerThink) || s.thinks[fullName(model)]
}

// capabilities lists a model's capabilities as /api/tags and /api/show do.
func (s *Server) capabilities(model string) []string {
	if s.thinkingModel(model) {
		return []string{"completion", "thinking"}
	}
	return []string{"completion"}
}

// loadFailure is the 500 message for a broken model, worded and shaped as
// a real load failure (several lines, server paths).
func loadFailure(model string) string {
	digest := digestOf(fullName(model))
	return fmt.Sprintf("llama runner process has terminated: error loading model: missing tensor 'output_norm.weight'\n"+
		"llama_model_load: error loading model: missing tensor 'output_norm.weight'\n"+
		"llama_model_load_from_file_impl: failed to load model from /var/lib/ollama/models/blobs/sha256-%s\n"+
		"see /var/log/ollama/server.log and /usr/local/lib/ollama/runners for details", digest)
}

// repeating makes a reply that degenerates into one token: the first two
// pieces of tokens, then "x" over and over.
func repeating(tokens []string) []string {
	out := append([]string(nil), tokens[:min(2, len(tokens))]...)
	for range 4 * maxTokenRepeat {
		out = append(out, "x")
	}
	return out
}

// promptTokens is a message's size in simulated tokens: its words plus a
// few for the template around it.
func promptTokens(m Message) int {
	return len(strings.Fields(m.Content)) + 4
}

// fitContext cuts a prompt to the context length as Ollama does, silently:
// it drops the oldest non-system messages (never the last), then cuts
// words from the start of the last message. It returns the messages the
// model sees, their size and whether anything was cut.
func (s *Server) fitContext(msgs []Message, numCtx int) ([]Message, int, bool) {
	limit := numCtx
	if limit <= 0 {
		limit = s.contextLength()
	}
	size := 0
	for _, m := range msgs {
		size += promptTokens(m)
	}
	if size <= limit || len(msgs) == 0 {
		return msgs, size, false
	}
	out := append([]Message(nil), msgs...)
	for i := 0; i < len(out)-1 && size > limit; {
		if out[i].Role == "system" {
			i++
			continue
		}
		size -= promptTokens(out[i])
		out = append(out[:i], out[i+1:]...)
	}
	if size > limit {
		last := &out[len(out)-1]
		words := strings.Fields(last.Content)
		drop := min(size-limit, len(words))
		last.Content = strings.Join(words[drop:], " ")
		size -= drop
	}
	return out, size, true
}

func (s *Server) contextLength() int {
	if s.opts.ContextLength > 0 {
		return s.opts.ContextLength
	}
	return defaultContextLength
}

// keepAliveOf reads keep_alive: a Go duration string, or a number of
// seconds; negative means forever (shown as a long time); absent means 5m.
func keepAliveOf(raw json.RawMessage) time.Duration {
	v := strings.TrimSpace(string(raw))
	if v == "" || v == "null" {
		return defaultKeepAlive
	}
	var secs float64
	if err := json.Unmarshal(raw, &secs); err == nil {
		if secs < 0 {
			return 100 * 365 * 24 * time.Hour
		}
		return time.Duration(secs * float64(time.Second))
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		if d, err := time.ParseDuration(str); err == nil {
			if d < 0 {
				return 100 * 365 * 24 * time.Hour
			}
			return d
		}
		if str == "0" {
			return 0
		}
	}
	return defaultKeepAlive
}

// thinkValue reads a request's think: true, false, or an effort level
// ("low", "medium", "high", "max": thinking on). Absent or null is nil.
func thinkValue(raw json.RawMessage) (*bool, error) {
	v := strings.TrimSpace(string(raw))
	if v == "" || v == "null" {
		return nil, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return &b, nil
	}
	var level string
	if err := json.Unmarshal(raw, &level); err == nil {
		switch level {
		case "low", "medium", "high", "max":
			on := true
			return &on, nil
		}
	}
	return nil, fmt.Errorf("invalid think value: %s", v)
}
