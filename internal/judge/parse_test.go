package judge

import (
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/safety"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name   string
		answer string
		unsafe bool
		cat    safety.Category
		ok     bool
	}{
		{"plain safe", "SAFE", false, "", true},
		{"plain unsafe", "UNSAFE", true, safety.CategoryOther, true},
		{"lower case", "safe", false, "", true},
		{"explanation after", "UNSAFE: the prompt mentions a knife, which is not safe for kids.", true, safety.CategoryOther, true},
		{"category on second line", "UNSAFE\nviolence", true, safety.CategoryViolence, true},
		{"safe then explanation with unsafe word", "SAFE. Nothing unsafe here.", false, "", true},
		{"markdown", "**Unsafe**\n- category: sexual", true, safety.CategorySexual, true},
		{"label before", "Verdict: SAFE", false, "", true},
		{"german", "UNSICHER\nGewalt", true, safety.CategoryViolence, true},
		{"not safe", "This is not safe for children.", true, safety.CategoryOther, true},
		{"guard safe", "safe", false, "", true},
		{"guard unsafe", "unsafe\nS1", true, safety.CategoryViolence, true},
		{"guard several codes", "unsafe\nS11,S1", true, safety.CategorySelfHarm, true},
		{"guard privacy", "unsafe\nS7", true, safety.CategoryPersonalData, true},
		{"think tags", "<think>A dragon. Could be unsafe? No.</think>\nSAFE", false, "", true},
		{"think tags unsafe", "<think>The user wants a gun.</think>UNSAFE\nviolence", true, safety.CategoryViolence, true},
		{"unclosed think reads the conclusion", "<think>Hmm, is it unsafe? It is a cat. So: SAFE", false, "", true},
		{"json", `{"verdict":"unsafe","category":"violence"}`, true, safety.CategoryViolence, true},
		{"json safe", `{"verdict":"SAFE"}`, false, "", true},
		{"json bool", `{"safe": false, "categories": ["drugs"]}`, true, safety.CategoryDrugs, true},
		{"json unsafe bool", `{"unsafe": true}`, true, safety.CategoryOther, true},
		{"json in fence", "```json\n{\"result\": \"unsafe\", \"reason\": \"horror\"}\n```", true, safety.CategoryHorror, true},
		{"json with text around", `Here you go: {"Decision": "Safe"} hope that helps`, false, "", true},
		{"garbage", "I like turtles.", false, "", false},
		{"empty", "", false, "", false},
		{"contradiction without a leading verdict", "It might be safe, or unsafe.", false, "", false},
		{"json without verdict falls back to text", `{"note":"hello"}`, false, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			unsafe, cat, ok := Parse(tc.answer)
			if ok != tc.ok || (ok && (unsafe != tc.unsafe || cat != tc.cat)) {
				t.Fatalf("Parse(%q) = %v %q %v, want %v %q %v", tc.answer, unsafe, cat, ok, tc.unsafe, tc.cat, tc.ok)
			}
		})
	}
}

func TestParseThinkingTakesTheConclusion(t *testing.T) {
	cases := []struct {
		thinking string
		unsafe   bool
		ok       bool
	}{
		{"The text asks for a sword fight. Is it unsafe? Swords in a fairy tale... I conclude SAFE.", false, true},
		{"A cat at first looks safe, but it holds a gun. Final answer: UNSAFE", true, true},
		{"I cannot decide.", false, false},
	}
	for _, tc := range cases {
		unsafe, _, ok := ParseThinking(tc.thinking)
		if ok != tc.ok || unsafe != tc.unsafe {
			t.Errorf("ParseThinking(%q) = %v %v, want %v %v", tc.thinking, unsafe, ok, tc.unsafe, tc.ok)
		}
	}
}
