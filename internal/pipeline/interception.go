package pipeline

import (
	"encoding/json"
	"strings"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/safety"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// inputRecord is stage 1's Detail: the level and every check.
type inputRecord struct {
	Level          safety.Level `json:"level"`
	RequestedLevel string       `json:"requested_level,omitempty"`
	// Raised: the request asked for a looser level than the server's and
	// got the server's.
	Raised  bool        `json:"raised,omitempty"`
	Verdict string      `json:"verdict"`
	Checks  []string    `json:"checks"`
	Texts   []textCheck `json:"texts"`
}

// inputSafety runs stage 1 on everything the student wrote: the prompt and
// the rules text. The filter decides first; for kids every text also goes
// to the judge, for youth and adult only what the filter flagged; research
// records the filters and blocks nothing.
func (x *execution) inputSafety() error {
	x.stageStart(1, "")
	items := []screenItem{{field: "prompt", text: x.req.Prompt, forceJudge: x.level() == safety.Kids}}
	if strings.TrimSpace(x.req.Context) != "" {
		items = append(items, screenItem{field: "context", text: x.req.Context, forceJudge: x.level() == safety.Kids})
	}
	s, err := x.screen(1, items)
	if err != nil {
		return err
	}
	rec := inputRecord{Level: x.level(), RequestedLevel: x.req.RequestedSafetyLevel, Raised: x.req.RequestedSafetyLevel != "",
		Verdict: verdictWord(s.blocked), Checks: nonNilStrings(s.checks), Texts: s.texts}
	detail, _ := json.Marshal(rec)
	x.publishSafety(1, s.checks, s.blocked)
	x.stageDone(1, func(sr *store.StageResult) {
		sr.Verdict, sr.Detail, sr.Model = rec.Verdict, detail, judgedBy(s.texts)
	})
	if s.blocked != nil {
		return &blockedError{s.blocked}
	}
	return nil
}

// interception runs stage 2: the config's meta-prompt (or the student's own
// rules) and the prompt go to the interception model; the answer streams back
// as chunk events and ends with a text event. It returns the text.
func (x *execution) interception() (string, error) {
	ic, _ := x.p.cfg.Catalog.Interception(x.req.Interception)
	rules := strings.TrimSpace(x.req.Context)
	if rules == "" {
		rules = ic.Context.Get(x.req.Lang)
	}
	model := x.p.cfg.Models.Interception
	opts := llm.Options{Temperature: ic.Parameters.Temperature, TopP: ic.Parameters.TopP, MaxTokens: ic.Parameters.MaxTokens}
	x.stageStart(2, "")
	text, err := x.chat(2, llm.Request{
		Model:    model,
		Messages: []llm.Message{{Role: "system", Content: rules}, {Role: "user", Content: x.req.Prompt}},
		Options:  opts,
		Think:    new(false),
	}, func(chunk string) error {
		x.publish(api.ChunkEvent{Stage: 2, Text: chunk})
		return nil
	})
	if err != nil {
		return "", err
	}
	x.publish(api.TextEvent{Stage: 2, Text: text})
	detail, _ := json.Marshal(map[string]string{"interception": ic.ID, "context": rules})
	x.stageDone(2, func(sr *store.StageResult) {
		sr.Text, sr.Model, sr.Backend, sr.Detail = text, model, x.p.cfg.LLM.Backend(model), detail
	})
	return strings.TrimSpace(text), nil
}

// judgedBy names the judge model that judged any of texts, "" if none did.
func judgedBy(texts []textCheck) string {
	for _, t := range texts {
		if t.Judge != nil {
			return t.Judge.Model
		}
	}
	return ""
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
