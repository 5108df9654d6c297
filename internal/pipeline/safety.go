package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/judge"
	"github.com/ai4artsed/ai4artsed/internal/safety"
)

// Filter is the term filter of stages 1 and 3: it decides for a text at a
// level whether it passes, needs the judge or is blocked. *safety.Filter
// implements it.
type Filter interface {
	Check(text string, level safety.Level) safety.Result
}

// Judge is the LLM judge of texts and the vision check of images;
// *judge.Judge implements it. Both return an error only when ctx ended.
type Judge interface {
	Check(ctx context.Context, in judge.Input, call judge.Caller) (judge.Verdict, error)
	CheckImage(ctx context.Context, img []byte, in judge.Input, call judge.Caller) (judge.Verdict, error)
}

// passFilter passes every text: the filter of a pipeline without one.
type passFilter struct{}

func (passFilter) Check(string, safety.Level) safety.Result {
	return safety.Result{Decision: safety.Pass}
}

// textCheck is the record of the checks of one text, kept in the stage's
// Detail and so visible in GET /api/runs/{id}.
type textCheck struct {
	Field    string          `json:"field"` // prompt, context, text, translation, optimized, suggestion
	Filter   string          `json:"filter"`
	Category safety.Category `json:"category,omitempty"`
	Hits     []hitRecord     `json:"hits,omitempty"`
	Checks   []string        `json:"checks"`
	Judge    *judgeRecord    `json:"judge,omitempty"`
	Blocked  bool            `json:"blocked"`
	MS       int64           `json:"ms"`
}

type hitRecord struct {
	List     string          `json:"list"`
	Category safety.Category `json:"category"`
	Term     string          `json:"term"`
}

// judgeRecord is one verdict of the judge or the vision model.
type judgeRecord struct {
	Model    string          `json:"model"`
	Outcome  string          `json:"outcome"`
	Category safety.Category `json:"category,omitempty"`
	Raw      string          `json:"raw"`
	Cached   bool            `json:"cached,omitempty"`
	MS       int64           `json:"ms"`
	Error    string          `json:"error,omitempty"`
	// FailOpen: the judge gave no verdict and the level let the text pass.
	FailOpen bool `json:"fail_open,omitempty"`
}

func recordVerdict(v judge.Verdict) *judgeRecord {
	r := &judgeRecord{Model: v.Model, Outcome: v.Outcome.String(), Category: v.Category, Raw: v.Raw,
		Cached: v.Cached, MS: v.Duration.Milliseconds()}
	if v.Err != nil {
		r.Error = v.Err.Error()
	}
	return r
}

// screening is the outcome of checking some texts: the records, and the
// first block with what the student is told about it.
type screening struct {
	texts   []textCheck
	checks  []string
	blocked *block
}

// block is why a run stops at a safety check.
type block struct {
	stage    int
	field    string
	text     string
	category safety.Category
	terms    []string
	judged   bool // the judge (not a filter) blocked: a suggestion may help
	down     bool // the judge could not answer (fail closed)
	image    bool // the image check blocked
}

// screenItem is one text to check; forceJudge sends it to the judge even
// when the filter passes it.
type screenItem struct {
	field, text string
	forceJudge  bool
}

// screen runs the filter, then where needed the judge, on each text in
// order, at the run's level, and stops at the first block. research
// records the filters and blocks nothing; adult passes a text the judge
// could not judge, with a warning in the log.
func (x *execution) screen(stage int, items []screenItem) (*screening, error) {
	level := x.level()
	s := &screening{}
	for _, it := range items {
		start := x.p.cfg.Now()
		res := x.p.cfg.Filter.Check(it.text, level)
		tc := textCheck{Field: it.field, Filter: res.Decision.String(), Category: res.Category, Checks: res.Checks}
		var shown []string
		for _, h := range res.Hits {
			tc.Hits = append(tc.Hits, hitRecord{List: h.List, Category: h.Category, Term: h.Term})
			if h.Show {
				shown = append(shown, h.Term)
			}
		}
		switch {
		case level == safety.Research:
		case res.Decision == safety.Block:
			tc.Blocked = true
			s.blocked = &block{stage: stage, field: it.field, text: it.text, category: res.Category, terms: shown}
		case res.Decision == safety.Judge || it.forceJudge:
			v, err := x.p.cfg.Judge.Check(x.ctx, judge.Input{Text: it.text, Level: level, Lang: x.req.Lang}, x.caller(stage))
			if err != nil {
				return nil, err
			}
			tc.Checks = append(tc.Checks, "judge")
			tc.Judge = recordVerdict(v)
			switch {
			case v.Blocks(level):
				tc.Blocked = true
				s.blocked = &block{stage: stage, field: it.field, text: it.text, category: v.Category, judged: true,
					down: v.Outcome == judge.Unknown}
				if s.blocked.category == "" {
					s.blocked.category = res.Category
				}
				if res.Decision == safety.Judge && !s.blocked.down {
					s.blocked.terms = shown
				}
			case v.Outcome == judge.Unknown:
				tc.Judge.FailOpen = true
				x.p.log.Warn("safety judge gave no verdict; the level lets the text pass", "run", x.run.ID,
					"stage", stage, "level", level, "err", v.Err)
			}
		}
		tc.MS = x.p.cfg.Now().Sub(start).Milliseconds()
		s.texts = append(s.texts, tc)
		for _, c := range tc.Checks {
			if !slices.Contains(s.checks, c) {
				s.checks = append(s.checks, c)
			}
		}
		if s.blocked != nil {
			return s, nil
		}
	}
	return s, nil
}

// level is the run's effective safety level.
func (x *execution) level() safety.Level {
	l, err := safety.ParseLevel(x.req.SafetyLevel)
	if err != nil {
		return x.p.cfg.SafetyLevel
	}
	return l
}

// blockedError ends a run in state blocked. Its code is blocked, or
// safety_unavailable when a check that must pass could not run.
type blockedError struct {
	b *block
}

func (e *blockedError) Error() string {
	what := "content"
	if e.b.category != "" {
		what = string(e.b.category)
	}
	if e.b.down {
		return fmt.Sprintf("stage %d: %s: %s could not be checked", e.b.stage, fault.ErrSafetyUnavailable, e.b.field)
	}
	return fmt.Sprintf("stage %d: %s: %s in %s", e.b.stage, fault.ErrBlocked, what, e.b.field)
}

func (e *blockedError) Unwrap() error {
	if e.b.down {
		return fault.ErrSafetyUnavailable
	}
	return fault.ErrBlocked
}

// isBlocked reports whether err ended the run at a safety check.
func isBlocked(err error) bool {
	var be *blockedError
	return errors.As(err, &be)
}

// publishSafety sends the safety event of a check: safe, or blocked with
// the reason for the student, the terms worth showing and, for a judge's
// block at kids or youth, a checked harmless rewrite.
func (x *execution) publishSafety(stage int, checks []string, b *block) {
	ev := api.SafetyEvent{Stage: stage, Verdict: api.VerdictSafe, Checks: checks}
	if ev.Checks == nil {
		ev.Checks = []string{}
	}
	if b != nil {
		ev.Verdict, ev.Reason, ev.Terms = api.VerdictBlocked, x.reason(b), b.terms
		if b.judged && !b.down && !b.image && judge.FailClosed(x.level()) {
			ev.Suggestion = x.suggest(b)
		}
	}
	x.publish(ev)
}

// verdictWord is a stage record's Verdict.
func verdictWord(b *block) string {
	if b != nil {
		return api.VerdictBlocked
	}
	return api.VerdictSafe
}

// since is the time from start in milliseconds.
func (x *execution) since(start time.Time) int64 { return x.p.cfg.Now().Sub(start).Milliseconds() }
