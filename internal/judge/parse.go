package judge

import (
	"encoding/json"
	"strings"
	"unicode"

	"github.com/ai4artsed/ai4artsed/internal/safety"
)

// parsed is what Parse read from an answer.
type parsed struct {
	unsafe   bool
	category safety.Category
}

// Parse reads a verdict from a judge model's answer. It accepts:
//   - plain words, any case, with anything after them: "SAFE",
//     "unsafe: it shows a weapon", "**UNSAFE**\nviolence", "Verdict: safe";
//   - Llama Guard's "safe" and "unsafe\nS1,S10" (its hazard codes become
//     categories);
//   - reasoning models: <think>...</think> blocks are dropped; an answer
//     that is only thinking (an unclosed <think>) is read for its last
//     verdict, as is thinking text handed in by ParseThinking;
//   - JSON, also inside a ```json fence: {"verdict":"unsafe","category":"violence"},
//     {"safe":false}, {"result":"SAFE"}, {"unsafe":true,"categories":["sexual"]}.
//
// ok is false when no verdict can be read, or when the words contradict
// each other without one at the start: a caller must then treat the text
// as unjudged.
func Parse(answer string) (unsafe bool, cat safety.Category, ok bool) {
	p, ok := parse(answer, false)
	return p.unsafe, p.category, ok
}

// ParseThinking reads a verdict from thinking text (a reasoning model that
// gave no answer): the last verdict word is its conclusion.
func ParseThinking(thinking string) (unsafe bool, cat safety.Category, ok bool) {
	p, ok := parse(thinking, true)
	return p.unsafe, p.category, ok
}

func parse(answer string, conclusion bool) (parsed, bool) {
	s, onlyThinking := stripThink(answer)
	conclusion = conclusion || onlyThinking
	s = strings.TrimSpace(strings.NewReplacer("```json", " ", "```JSON", " ", "```", " ").Replace(s))
	if p, ok := parseJSON(s); ok {
		return p, true
	}
	return parseWords(s, conclusion)
}

// stripThink removes <think>...</think> blocks. An opening tag without its
// closing one means the rest is thinking: it is returned with true.
func stripThink(s string) (string, bool) {
	for {
		lower := strings.ToLower(s)
		i := strings.Index(lower, "<think>")
		if i < 0 {
			return s, false
		}
		j := strings.Index(lower[i:], "</think>")
		if j < 0 {
			rest := s[i+len("<think>"):]
			if strings.TrimSpace(s[:i]) != "" {
				return s[:i], false
			}
			return rest, true
		}
		s = s[:i] + " " + s[i+j+len("</think>"):]
	}
}

// verdictKeys are JSON fields that may hold a verdict word; boolKeys hold
// true for unsafe (or, for "safe", true for safe).
var (
	verdictKeys  = []string{"verdict", "decision", "result", "label", "classification", "answer", "rating", "status", "safety"}
	unsafeKeys   = []string{"unsafe", "flagged", "harmful", "blocked"}
	categoryKeys = []string{"category", "categories", "violated_categories", "reason", "type"}
)

// parseJSON reads the object between the first '{' and the last '}'.
func parseJSON(s string) (parsed, bool) {
	i, j := strings.Index(s, "{"), strings.LastIndex(s, "}")
	if i < 0 || j <= i {
		return parsed{}, false
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(s[i:j+1]), &raw); err != nil {
		return parsed{}, false
	}
	m := make(map[string]any, len(raw))
	for k, v := range raw {
		m[strings.ToLower(k)] = v
	}
	var p parsed
	found := false
	for _, k := range verdictKeys {
		if v, ok := m[k].(string); ok {
			if q, ok := parseWords(v, false); ok {
				p, found = q, true
				break
			}
		}
	}
	if b, ok := m["safe"].(bool); ok && !found {
		p.unsafe, found = !b, true
	}
	for _, k := range unsafeKeys {
		if b, ok := m[k].(bool); ok && !found {
			p.unsafe, found = b, true
		}
	}
	if !found {
		return parsed{}, false
	}
	p.category = safety.CategoryNone
	if p.unsafe {
		p.category = jsonCategory(m)
	}
	return p, true
}

func jsonCategory(m map[string]any) safety.Category {
	for _, k := range categoryKeys {
		switch v := m[k].(type) {
		case string:
			if c := categoryIn(tokens(v)); c != "" {
				return c
			}
		case []any:
			for _, e := range v {
				if s, ok := e.(string); ok {
					if c := categoryIn(tokens(s)); c != "" {
						return c
					}
				}
			}
		}
	}
	return safety.CategoryOther
}

// Verdict words, German and English.
var (
	safeWords   = map[string]bool{"safe": true, "sicher": true, "unbedenklich": true, "geeignet": true}
	unsafeWords = map[string]bool{"unsafe": true, "unsicher": true, "harmful": true, "bedenklich": true, "ungeeignet": true}
	negations   = map[string]bool{"not": true, "nicht": true, "no": true, "kein": true, "keine": true}
)

// word is one verdict found among the tokens, at index at.
type word struct {
	unsafe bool
	at     int
}

// parseWords reads plain text: a verdict as the first word wins; otherwise
// all verdict words must agree, or in conclusion mode the last one counts.
func parseWords(s string, conclusion bool) (parsed, bool) {
	toks := tokens(s)
	var found []word
	for i, t := range toks {
		var w word
		switch {
		case safeWords[t]:
			w = word{false, i}
		case unsafeWords[t]:
			w = word{true, i}
		default:
			continue
		}
		if i > 0 && negations[toks[i-1]] {
			w.unsafe = !w.unsafe
		}
		found = append(found, w)
	}
	if len(found) == 0 {
		return parsed{}, false
	}
	pick := found[0]
	switch {
	case conclusion:
		pick = found[len(found)-1]
	case pick.at == 0 || (pick.at == 1 && negations[toks[0]]):
		// A verdict opening the answer wins over its explanation.
	default:
		for _, w := range found[1:] {
			if w.unsafe != pick.unsafe {
				return parsed{}, false
			}
		}
	}
	p := parsed{unsafe: pick.unsafe}
	if p.unsafe {
		p.category = safety.CategoryOther
		if c := categoryIn(toks[pick.at+1:]); c != "" {
			p.category = c
		}
	}
	return p, true
}

// tokens lower-cases s and splits it into runs of letters, digits and '_'.
func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_'
	})
}
