// Package judge is the LLM judge of the youth-protection checks: it asks a
// model, with our own prompt for the safety level in the run's language,
// whether a text (stages 1 and 3) or a generated image (after stage 4) is
// harmful for that age, and reads the verdict from whatever shape the
// model answers in (see Parse).
//
// A judge that cannot answer (down, past its deadline, a missing model, an
// answer nobody can read) gives an Unknown verdict: Blocks makes that a
// block for kids and youth (fail closed) and a pass for adult. Verdicts of
// texts are cached briefly per (normalised text, level, model).
//
// The judge does not call a model itself: the caller passes a Caller, so
// its calls can wait in the pipeline's queue like every LLM call.
package judge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/safety"
)

// Sentinels of an Unknown verdict's Err.
var (
	// ErrUnavailable: the judge model could not answer (down, timed out,
	// not installed, an error).
	ErrUnavailable = errors.New("judge: safety check unavailable")
	// ErrUnparseable: the judge answered, but no verdict could be read.
	ErrUnparseable = errors.New("judge: answer has no readable verdict")
)

// Outcome is what a judge decided.
type Outcome int

// Outcomes.
const (
	Safe Outcome = iota
	Unsafe
	// Unknown: no verdict (see Verdict.Err).
	Unknown
)

// String names the outcome for records.
func (o Outcome) String() string {
	switch o {
	case Safe:
		return "safe"
	case Unsafe:
		return "unsafe"
	}
	return "unknown"
}

// Verdict is one judgement.
type Verdict struct {
	Outcome  Outcome
	Category safety.Category // for Unsafe; CategoryOther when the judge named none
	Model    string
	// Raw is the model's answer as it came (its thinking text when the
	// answer was empty), for the run's record.
	Raw      string
	Cached   bool
	Duration time.Duration
	// Err says why the outcome is Unknown; it wraps ErrUnavailable or
	// ErrUnparseable.
	Err error
}

// Blocks reports whether the verdict stops the run at level: Unsafe at
// every level but research; Unknown for kids and youth (fail closed).
func (v Verdict) Blocks(level safety.Level) bool {
	switch v.Outcome {
	case Unsafe:
		return level != safety.Research
	case Unknown:
		return FailClosed(level)
	}
	return false
}

// FailClosed reports whether an unjudged text blocks at level.
func FailClosed(level safety.Level) bool {
	return level == safety.Kids || level == safety.Youth
}

// Caller runs one LLM call for the judge. It may wait (in a queue) first;
// limit bounds the call itself once it runs. It returns the whole result
// (answer and thinking text).
type Caller func(ctx context.Context, req llm.Request, limit time.Duration) (llm.Result, error)

// Config configures a Judge. Zero fields take the defaults.
type Config struct {
	Model       string        // the text judge, "ollama/NAME" or "openai/NAME"
	VisionModel string        // the image check's model
	Timeout     time.Duration // limit of one judge call (default 30s)
	CacheSize   int           // verdicts kept (default 1024; negative: no cache)
	CacheTTL    time.Duration // how long a verdict is kept (default 10 minutes)
	Now         func() time.Time
}

// Input is what is judged: a text (or, for CheckImage, the run's level and
// language) at a level, in a language (de or en) that picks the prompt.
type Input struct {
	Text  string
	Level safety.Level
	Lang  string
}

// Judge judges texts and images. It is safe for concurrent use.
type Judge struct {
	cfg   Config
	cache *cache
}

// New returns a judge with defaults filled in.
func New(cfg Config) *Judge {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = 1024
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Judge{cfg: cfg, cache: newCache(cfg.CacheSize, cfg.CacheTTL, cfg.Now)}
}

// Model is the text judge's model.
func (j *Judge) Model() string { return j.cfg.Model }

// VisionModel is the image check's model.
func (j *Judge) VisionModel() string { return j.cfg.VisionModel }

// Check judges a text. Its error is non-nil only when ctx ended (the run
// was cancelled); every other failure is an Unknown verdict.
func (j *Judge) Check(ctx context.Context, in Input, call Caller) (Verdict, error) {
	key := string(in.Level) + "\x00" + j.cfg.Model + "\x00" + strings.ToLower(strings.Join(strings.Fields(in.Text), " "))
	if v, ok := j.cache.get(key); ok {
		v.Cached, v.Duration = true, 0
		return v, nil
	}
	req := llm.Request{Model: j.cfg.Model, Options: llm.Options{Temperature: new(0.0)}, Messages: []llm.Message{
		{Role: "system", Content: System("text", in.Level, in.Lang)},
		{Role: "user", Content: User(in.Text, in.Lang)},
	}}
	v, err := j.ask(ctx, req, call)
	if err == nil && v.Outcome != Unknown {
		j.cache.put(key, v)
	}
	return v, err
}

// CheckImage judges a generated image (PNG or JPEG bytes) with the vision
// model and the image prompt for in.Level. Verdicts of images are not
// cached. Its error is non-nil only when ctx ended.
func (j *Judge) CheckImage(ctx context.Context, img []byte, in Input, call Caller) (Verdict, error) {
	lang := in.Lang
	if lang != "de" {
		lang = "en"
	}
	req := llm.Request{Model: j.cfg.VisionModel, Options: llm.Options{Temperature: new(0.0)}, Messages: []llm.Message{
		{Role: "system", Content: System("image", in.Level, lang)},
		{Role: "user", Content: userImage[lang], Images: [][]byte{img}},
	}}
	return j.ask(ctx, req, call)
}

// ask runs one call and reads its verdict.
func (j *Judge) ask(ctx context.Context, req llm.Request, call Caller) (Verdict, error) {
	start := j.cfg.Now()
	res, err := call(ctx, req, j.cfg.Timeout)
	v := Verdict{Model: req.Model, Duration: j.cfg.Now().Sub(start)}
	if err != nil {
		if ctx.Err() != nil {
			return v, fmt.Errorf("judge: %w", err)
		}
		v.Outcome, v.Err = Unknown, fmt.Errorf("%w: model %s: %w", ErrUnavailable, req.Model, err)
		return v, nil
	}
	var unsafe, ok bool
	var cat safety.Category
	if strings.TrimSpace(res.Text) != "" {
		v.Raw = res.Text
		unsafe, cat, ok = Parse(res.Text)
	} else {
		v.Raw = res.Thinking
		unsafe, cat, ok = ParseThinking(res.Thinking)
	}
	switch {
	case !ok:
		v.Outcome, v.Err = Unknown, fmt.Errorf("%w: model %s", ErrUnparseable, req.Model)
	case unsafe:
		v.Outcome, v.Category = Unsafe, cat
	default:
		v.Outcome = Safe
	}
	return v, nil
}
