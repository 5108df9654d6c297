package pipeline

import (
	"encoding/json"
	"github.com/ai4artsed/ai4artsed/api"
	"strings"

	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// interception runs stage 2: the config's meta-prompt (or the student's own
// rules) and the prompt go to the interception model; the answer streams back
// as chunk events and ends with a text event.
func (x *execution) interception() error {
	x.stageSkipped(1, x.msg("Die Sicherheitsstufe ist noch nicht gebaut.", "The safety stage is not built yet."))
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
		return err
	}
	x.publish(api.TextEvent{Stage: 2, Text: text})
	detail, _ := json.Marshal(map[string]string{"interception": ic.ID, "context": rules})
	x.stageDone(2, func(sr *store.StageResult) {
		sr.Text, sr.Model, sr.Backend, sr.Detail = text, model, x.p.cfg.LLM.Backend(model), detail
	})
	return nil
}
