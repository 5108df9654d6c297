package ollamasim

import (
	"cmp"
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

// errRepeatCut marks a generation ended by the repeated-token cutoff.
var errRepeatCut = errors.New("token repeat limit reached")

// maxTokenRepeat is Ollama's limit: after this many repeats of one token
// (compared without surrounding whitespace) the runner stops, and the
// stream ends with neither a done frame nor an error.
const maxTokenRepeat = 30

// job is one recorded generation.
type job struct {
	s          *Server
	idx        int
	model      string
	start      time.Time
	first      time.Time // first token out
	tokens     []string
	doneReason string        // "stop" or "length"
	promptSize int           // prompt token count after truncation
	thinking   bool          // tokens go out as thinking text
	running    bool          // holds a parallel slot
	loadWait   time.Duration // time spent waiting for the model to load
	keepAlive  json.RawMessage
	closed     bool // counted out of the open requests (see close)
	busy       bool // counted in Busy until close
}

// jobSpec is what a handler knows about a generation request.
type jobSpec struct {
	model     string
	msgs      []Message
	stream    bool
	status    int // the answer about to be given; 200 for generations
	maxTokens int
	numCtx    int
	think     *bool
	keepAlive json.RawMessage
}

// startJob records an arrival. Requests that go no further (404, 400,
// 500) are recorded as ended; a generation (status 200) counts as waiting
// until acquire and as in flight until finish.
func (s *Server) startJob(r *http.Request, sp jobSpec) *job {
	now := time.Now()
	j := &job{s: s, model: sp.model, start: now, doneReason: "stop", keepAlive: sp.keepAlive}
	generating := sp.status == http.StatusOK
	j.thinking = generating && s.thinkingModel(sp.model) && (sp.think == nil || *sp.think)
	j.idx = s.record(Recorded{
		Path: r.URL.Path, Model: sp.model, Messages: append([]Message(nil), sp.msgs...),
		Stream: sp.stream, Think: sp.think, Thinking: j.thinking, Status: sp.status, Start: now,
	}, generating)
	if !generating {
		s.update(j.idx, func(rec *Recorded) { rec.End = now })
		return j
	}
	msgs, size, cut := s.fitContext(sp.msgs, sp.numCtx)
	j.promptSize = size
	s.update(j.idx, func(rec *Recorded) { rec.PromptTokens, rec.PromptTruncated = size, cut })
	j.tokens = Tokens(s.reply(sp.model, msgs))
	if isMarked(sp.model, MarkerRepeat) {
		j.tokens = repeating(j.tokens)
	}
	if sp.maxTokens > 0 && sp.maxTokens < len(j.tokens) {
		j.tokens, j.doneReason = j.tokens[:sp.maxTokens], "length"
	}
	return j
}

// acquire waits for a parallel slot, as a request waits inside Ollama's
// scheduler, then for its model to be loaded.
func (j *job) acquire(ctx context.Context) error {
	if j.s.slots != nil {
		select {
		case j.s.slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	now := time.Now()
	j.running = true
	j.s.mu.Lock()
	j.s.waiting--
	j.s.inFlight++
	j.s.maxInFlight = max(j.s.maxInFlight, j.s.inFlight)
	j.s.reqs[j.idx].Running = now
	j.s.mu.Unlock()
	err := j.s.load(ctx, j.model, j.keepAlive)
	j.loadWait = time.Since(now)
	return err
}

// pace waits for a slot, then emits the tokens with the configured delays.
// It returns nil when all went out, errFailed in the failure mode,
// errRepeatCut at the repeated-token cutoff, or the context's error (or a
// write error) when the client went away.
func (j *job) pace(ctx context.Context, emit func(i int, tok string) error) error {
	// Busy from arrival: a generation waits for a slot only while others
	// hold every slot, so the machine is busy either way.
	j.s.busy.Begin()
	j.busy = true
	if err := j.acquire(ctx); err != nil {
		return err
	}
	o := j.s.opts
	first := o.FirstTokenDelay
	if isMarked(j.model, MarkerSlow) {
		first = cmp.Or(o.SlowDelay, 10*time.Second)
	}
	if err := sleep(ctx, first); err != nil {
		return err
	}
	j.first = time.Now()
	last, repeats := "", 0
	for i, tok := range j.tokens {
		if i > 0 {
			if err := sleep(ctx, o.TokenDelay); err != nil {
				return err
			}
		}
		if o.FailAfterTokens > 0 && i == o.FailAfterTokens {
			return errFailed
		}
		if t := strings.TrimSpace(tok); i > 0 && t == last {
			repeats++
		} else {
			last, repeats = t, 0
		}
		if repeats > maxTokenRepeat {
			return errRepeatCut
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

// close counts the generation out of the open requests and the busy
// time. A stream calls it before its final frame: a client may start its
// next request as soon as it has that frame, before finish runs.
func (j *job) close() {
	j.s.mu.Lock()
	closed := j.closed
	j.closed = true
	if !closed {
		j.s.open--
	}
	j.s.mu.Unlock()
	if !closed && j.busy {
		j.s.busy.End()
	}
}

// finish records how the generation ended, frees its slot and logs it. It
// must be called once for every generation.
func (j *job) finish(path string, err error) {
	now := time.Now()
	failed, cut := errors.Is(err, errFailed), errors.Is(err, errRepeatCut)
	cancelled := err != nil && !failed && !cut
	j.close()
	j.s.mu.Lock()
	if j.running {
		j.s.inFlight--
	} else {
		j.s.waiting--
	}
	rec := &j.s.reqs[j.idx]
	rec.End = now
	rec.Completed = err == nil
	rec.RepeatCut = cut
	if cancelled {
		rec.Cancelled, rec.CancelledAt = true, now
	}
	if failed && !rec.Stream {
		rec.Status = http.StatusInternalServerError
	}
	j.s.mu.Unlock()
	if j.running && j.s.slots != nil {
		<-j.s.slots
	}
	j.s.log.Debug("ollamasim: generation", "path", path, "tokens", len(j.tokens), "cancelled", cancelled,
		"failed", failed, "repeat_cut", cut, "duration", now.Sub(j.start))
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
	// As Ollama does, load_duration is the time the model took to load
	// (about nothing when it was loaded already).
	wait := first.Sub(j.start)
	return metrics{
		TotalDuration:      int64(end.Sub(j.start)) + 1,
		LoadDuration:       int64(j.loadWait) + 1,
		PromptEvalCount:    j.promptSize,
		PromptEvalDuration: int64(max(wait-j.loadWait, 0)) + 1,
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
