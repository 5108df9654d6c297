package pipeline

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/judge"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/safety"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// screened is a text that passed stage 3. Only optimize makes one, and
// stage 4 takes nothing else: no path reaches the image model without
// stage 3's checks.
type screened struct {
	text string
}

// optimizeRecord is stage 3's Detail.
type optimizeRecord struct {
	Level       safety.Level `json:"level"`
	Verdict     string       `json:"verdict"`
	Checks      []string     `json:"checks"`
	Input       string       `json:"input"`
	Translation string       `json:"translation"`
	// Translated: the translation model ran; false when the text looked
	// English already (TranslationNote says so).
	Translated      bool        `json:"translated"`
	TranslationNote string      `json:"translation_note,omitempty"`
	TranslationMS   int64       `json:"translation_ms,omitempty"`
	Optimized       bool        `json:"optimized"`
	Texts           []textCheck `json:"texts"`
}

// translateInstruction asks for an English image prompt and leaves an
// English text as it is.
const translateInstruction = "Translate the following text into English for an image model. " +
	"If it is already English, return it unchanged. Keep its meaning; add nothing. Answer only with the translation."

// optimize runs stage 3 on text at every level: the filter on the text,
// its translation to English (recorded with the original), the filter and
// (kids and youth: always; adult: when flagged) the judge on the
// translation, then the output's optimisation instruction and the filter
// on its result. research records the checks and blocks nothing.
func (x *execution) optimize(out *catalog.Output, text string) (screened, error) {
	x.stageStart(3, "")
	level := x.level()
	rec := optimizeRecord{Level: level, Input: text, Translation: text}
	fail := func(s *screening) (screened, error) {
		rec.Verdict, rec.Checks, rec.Texts = api.VerdictBlocked, nonNilStrings(s.checks), append(rec.Texts, s.texts...)
		x.finishOptimize(&rec, "", s)
		return screened{}, &blockedError{s.blocked}
	}
	s, err := x.screen(3, []screenItem{{field: "text", text: text}})
	if err != nil {
		return screened{}, err
	}
	if s.blocked != nil {
		return fail(s)
	}
	checks := s.checks
	rec.Texts = s.texts
	english := text
	if looksEnglish(text) {
		rec.TranslationNote = "the text looks English: not translated"
	} else {
		model := x.p.cfg.Models.Translation
		start := x.p.cfg.Now()
		english, err = x.chat(3, llm.Request{Model: model, Think: new(false), Messages: []llm.Message{
			{Role: "system", Content: translateInstruction}, {Role: "user", Content: text}}}, nil)
		if err != nil {
			return screened{}, err
		}
		english, rec.Translated, rec.TranslationMS = strings.TrimSpace(english), true, x.since(start)
	}
	rec.Translation = english
	if s, err = x.screen(3, []screenItem{{field: "translation", text: english, forceJudge: judge.FailClosed(level)}}); err != nil {
		return screened{}, err
	}
	s.checks = mergeChecks(checks, s.checks)
	if s.blocked != nil {
		return fail(s)
	}
	checks = s.checks
	rec.Texts = append(rec.Texts, s.texts...)
	final := english
	if instr := strings.TrimSpace(out.OptimizationInstruction); instr != "" {
		model := x.p.cfg.Models.Optimization
		opt, err := x.chat(3, llm.Request{Model: model, Think: new(false),
			Messages: []llm.Message{{Role: "system", Content: instr}, {Role: "user", Content: english}},
		}, func(chunk string) error {
			x.publish(api.ChunkEvent{Stage: 3, Text: chunk})
			return nil
		})
		if err != nil {
			return screened{}, err
		}
		final, rec.Optimized = strings.TrimSpace(opt), true
		if s, err = x.screen(3, []screenItem{{field: "optimized", text: final}}); err != nil {
			return screened{}, err
		}
		s.checks = mergeChecks(checks, s.checks)
		if s.blocked != nil {
			return fail(s)
		}
		checks = s.checks
		rec.Texts = append(rec.Texts, s.texts...)
	}
	// LoRA trigger phrases join the prompt in stage 4; a request may name
	// its own, so they pass the filter here too.
	if triggers := triggerText(x.loras()); triggers != "" {
		if s, err = x.screen(3, []screenItem{{field: "lora_triggers", text: triggers}}); err != nil {
			return screened{}, err
		}
		s.checks = mergeChecks(checks, s.checks)
		if s.blocked != nil {
			return fail(s)
		}
		checks = s.checks
		rec.Texts = append(rec.Texts, s.texts...)
	}
	rec.Verdict, rec.Checks = api.VerdictSafe, nonNilStrings(checks)
	x.finishOptimize(&rec, final, &screening{checks: checks})
	return screened{text: final}, nil
}

// finishOptimize publishes stage 3's safety event (and its text when it
// passed) and stores its record.
func (x *execution) finishOptimize(rec *optimizeRecord, final string, s *screening) {
	detail, _ := json.Marshal(rec)
	x.publishSafety(3, s.checks, s.blocked)
	if s.blocked == nil {
		x.publish(api.TextEvent{Stage: 3, Text: final})
	}
	x.stageDone(3, func(sr *store.StageResult) {
		sr.Text, sr.Verdict, sr.Detail = final, rec.Verdict, detail
		if rec.Optimized {
			sr.Model, sr.Backend = x.p.cfg.Models.Optimization, x.p.cfg.LLM.Backend(x.p.cfg.Models.Optimization)
		}
	})
}

// triggerText joins the LoRAs' trigger phrases.
func triggerText(loras []catalog.LoRA) string {
	var ts []string
	for _, l := range loras {
		if t := strings.TrimSpace(l.Trigger); t != "" {
			ts = append(ts, t)
		}
	}
	return strings.Join(ts, ", ")
}

// mergeChecks returns a with the checks of b it lacks appended.
func mergeChecks(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, c := range b {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// Function words of English and German, for looksEnglish.
var (
	englishWords = map[string]bool{"the": true, "a": true, "an": true, "and": true, "of": true, "with": true, "in": true,
		"on": true, "at": true, "is": true, "are": true, "to": true, "for": true, "by": true, "under": true, "from": true}
	germanWords = map[string]bool{"der": true, "die": true, "das": true, "und": true, "ein": true, "eine": true, "einen": true,
		"mit": true, "im": true, "auf": true, "ist": true, "sind": true, "zu": true, "für": true, "von": true, "unter": true,
		"dem": true, "den": true, "des": true, "einem": true, "einer": true, "am": true, "aus": true}
)

// looksEnglish is the cheap language check that spares the translation
// model: English function words, no German ones and no German letters.
// Anything unsure goes to the translation model, whose instruction leaves
// English as it is.
func looksEnglish(s string) bool {
	if strings.ContainsAny(strings.ToLower(s), "äöüß") {
		return false
	}
	en, de := 0, 0
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if englishWords[w] {
			en++
		}
		if germanWords[w] {
			de++
		}
	}
	return en > 0 && de == 0
}
