package ollamasim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// failMessage is the in-band error of the mid-stream failure mode, worded
// as a real runner crash.
const failMessage = "an error was encountered while running the model: unexpected EOF"

// errFailed marks a generation ended by Options.FailAfterTokens.
var errFailed = errors.New(failMessage)

// job is one recorded generation.
type job struct {
	s          *Server
	idx        int
	start      time.Time
	first      time.Time // first token out
	tokens     []string
	doneReason string // "stop" or "length"
	promptSize int    // rough prompt token count
}

// startJob records an arrival. status is the answer about to be given for
// requests that go no further (404), 200 for generations, which count as in
// flight until finish.
func (s *Server) startJob(r *http.Request, model string, msgs []Message, stream bool, status int, maxTokens int) *job {
	now := time.Now()
	j := &job{s: s, start: now, doneReason: "stop"}
	j.idx = s.record(Recorded{
		Path: r.URL.Path, Model: model, Messages: append([]Message(nil), msgs...),
		Stream: stream, Status: status, Start: now,
	}, status == http.StatusOK)
	if status != http.StatusOK {
		s.update(j.idx, false, func(rec *Recorded) { rec.End = now })
		return j
	}
	j.tokens = Tokens(Reply(model, msgs))
	if maxTokens > 0 && maxTokens < len(j.tokens) {
		j.tokens, j.doneReason = j.tokens[:maxTokens], "length"
	}
	for _, m := range msgs {
		j.promptSize += len(strings.Fields(m.Content))
	}
	j.promptSize += 4 * len(msgs)
	return j
}

// pace emits the tokens with the configured delays. It returns nil when all
// went out, errFailed in the failure mode, or the context's error (or a
// write error) when the client went away.
func (j *job) pace(ctx context.Context, emit func(i int, tok string) error) error {
	o := j.s.opts
	if err := sleep(ctx, o.FirstTokenDelay); err != nil {
		return err
	}
	j.first = time.Now()
	for i, tok := range j.tokens {
		if i > 0 {
			if err := sleep(ctx, o.TokenDelay); err != nil {
				return err
			}
		}
		if o.FailAfterTokens > 0 && i == o.FailAfterTokens {
			return errFailed
		}
		if err := emit(i, tok); err != nil {
			return err
		}
	}
	if o.FailAfterTokens > 0 {
		return errFailed
	}
	return nil
}

// finish records how the generation ended, ends its in-flight count and
// logs it. It must be called once for every generation.
func (j *job) finish(path string, err error) {
	now := time.Now()
	cancelled := err != nil && !errors.Is(err, errFailed)
	j.s.update(j.idx, true, func(rec *Recorded) {
		rec.End = now
		rec.Completed = err == nil
		if cancelled {
			rec.Cancelled, rec.CancelledAt = true, now
		}
		if errors.Is(err, errFailed) && !rec.Stream {
			rec.Status = http.StatusInternalServerError
		}
	})
	j.s.log.Debug("ollamasim: generation", "path", path, "tokens", len(j.tokens), "cancelled", cancelled,
		"failed", errors.Is(err, errFailed), "duration", now.Sub(j.start))
}

// metrics are the timing fields of a final frame, in nanoseconds.
type metrics struct {
	TotalDuration      int64 `json:"total_duration,omitempty"`
	LoadDuration       int64 `json:"load_duration,omitempty"`
	PromptEvalCount    int   `json:"prompt_eval_count,omitempty"`
	PromptEvalDuration int64 `json:"prompt_eval_duration,omitempty"`
	EvalCount          int   `json:"eval_count,omitempty"`
	EvalDuration       int64 `json:"eval_duration,omitempty"`
}

// metrics computes the final frame's figures from the real timings.
func (j *job) metrics() metrics {
	end := time.Now()
	first := j.first
	if first.IsZero() {
		first = end
	}
	wait := first.Sub(j.start)
	return metrics{
		TotalDuration:      int64(end.Sub(j.start)) + 1,
		LoadDuration:       int64(wait/2) + 1,
		PromptEvalCount:    j.promptSize,
		PromptEvalDuration: int64(wait-wait/2) + 1,
		EvalCount:          len(j.tokens),
		EvalDuration:       int64(end.Sub(first)) + 1,
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// decodeBody decodes a JSON request body, answering Ollama's 400s itself.
// It reports whether decoding succeeded.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, writeErr func(http.ResponseWriter, int, string)) bool {
	err := json.NewDecoder(r.Body).Decode(v)
	switch {
	case err == nil:
		return true
	case errors.Is(err, io.EOF):
		writeErr(w, http.StatusBadRequest, "missing request body")
	default:
		writeErr(w, http.StatusBadRequest, err.Error())
	}
	return false
}

// flush pushes what was written to the client.
func flush(w http.ResponseWriter) error {
	return http.NewResponseController(w).Flush()
}

// isUnload reports whether a keep_alive value is zero ("0", 0, "0s").
func isUnload(raw json.RawMessage) bool {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "0" {
		return true
	}
	d, err := time.ParseDuration(s)
	return err == nil && d == 0
}

// lowerRoles lower-cases message roles as Ollama does on decode.
func lowerRoles(msgs []Message) {
	for i := range msgs {
		msgs[i].Role = strings.ToLower(msgs[i].Role)
	}
}
