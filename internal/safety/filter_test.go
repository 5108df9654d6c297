package safety_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/safety"
)

func TestEvasionsCaught(t *testing.T) {
	f := builtinFilter(t)
	tests := map[string]string{
		"dots":               "h.i.t.l.e.r",
		"spaces":             "h i t l e r",
		"dashes":             "h-i-t-l-e-r",
		"repeats":            "hiiitleeer",
		"leet":               "H1tl3r",
		"cyrillic":           "Нitlеr",
		"fullwidth":          "ＨＩＴＬＥＲ",
		"zero width":         "Hit\u200bler",
		"split word":         "hit ler",
		"compound":           "Hakenkreuzfahne",
		"compound suffix":    "Riesenhakenkreuz",
		"inflection":         "zwei Hakenkreuzen",
		"typo (distance 1)":  "Hakenkruez",
		"phrase across dots": "Sieg...Heil!!!",
		"phrase as one word": "SiegHeil",
		"english":            "a hooked cross",
		"hidden in text":     "ein schöner Tag am See und dann ein Hakenkreuz auf dem Boot",
		"code in context":    "Heil 88",
		"code with slash":    "14/88",
		"code with letters":  "c18 crew",
		"SS in context":      "SS-Uniform",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			r := f.Check(in, safety.Youth)
			if r.Decision != safety.Block || r.Category != safety.CategoryForbidden {
				t.Errorf("%q = %v %q %v, want block forbidden_symbol", in, r.Decision, r.Category, r.Hits)
			}
		})
	}
}

func TestNearMissesPass(t *testing.T) {
	f := builtinFilter(t)
	for _, in := range []string{
		"gemalt", "Falter", "malen", "Pelikan", "Kanne", "zum ersten Mal", "Schimmel", "nur", "Geschichte", "Kunst",
		"Waffeleisen", "Nacktschnecke", "Drogerie", "Heroine", "Einrichtung", "laughter", "Siegrunde", "Bahamas",
		"88 Luftballons", "im Jahr 1488", "14,88 Euro", "SS Titanic", "ein Totenkopf auf der Piratenflagge",
		"Reiseführer", "Anführer der Wölfe", "Heilpflanze", "Auf dem Fußballplatz 11 Spieler", "Straße im Regen",
		"3 Katzen und 2 Hunde", "Agent 007", "my 18th birthday",
	} {
		if r := f.Check(in, safety.Youth); r.Decision != safety.Pass {
			t.Errorf("%q = %v %v, want pass", in, r.Decision, r.Hits)
		}
	}
}

func TestDecisionsPerLevel(t *testing.T) {
	f := builtinFilter(t)
	tests := []struct {
		in   string
		want [4]safety.Decision // kids, youth, adult, research
		cat  safety.Category
	}{
		{"ein Hakenkreuz", [4]safety.Decision{safety.Block, safety.Block, safety.Block, safety.Pass}, safety.CategoryForbidden},
		{"schreib kid@example.com", [4]safety.Decision{safety.Block, safety.Block, safety.Pass, safety.Pass}, safety.CategoryPersonalData},
		{"ein Massaker", [4]safety.Decision{safety.Judge, safety.Judge, safety.Pass, safety.Pass}, safety.CategoryViolence},
		{"Blut am Schwert", [4]safety.Decision{safety.Judge, safety.Pass, safety.Pass, safety.Pass}, safety.CategoryViolence},
		{"ein Hakenkreuz und Blut", [4]safety.Decision{safety.Block, safety.Block, safety.Block, safety.Pass}, safety.CategoryForbidden},
		{"eine Katze", [4]safety.Decision{safety.Pass, safety.Pass, safety.Pass, safety.Pass}, safety.CategoryNone},
	}
	for _, tt := range tests {
		for i, lvl := range safety.Levels {
			r := f.Check(tt.in, lvl)
			if r.Decision != tt.want[i] {
				t.Errorf("%s: %q = %v, want %v (%v)", lvl, tt.in, r.Decision, tt.want[i], r.Hits)
			}
			if r.Decision != safety.Pass && r.Category != tt.cat {
				t.Errorf("%s: %q category %q, want %q", lvl, tt.in, r.Category, tt.cat)
			}
			if tt.cat != safety.CategoryNone && len(r.Hits) == 0 {
				t.Errorf("%s: %q: hits not recorded", lvl, tt.in)
			}
			if !slices.Equal(r.Checks, []string{"filter_86a", "filter_personal_data", "filter_kids", "filter_youth"}) {
				t.Errorf("checks = %v", r.Checks)
			}
		}
	}
	if r := f.Check("ein Hakenkreuz", safety.Level("bogus")); r.Decision != safety.Block {
		t.Errorf("unknown level: %v, want the strictest", r.Decision)
	}
}

func TestHitsNeverEchoTheText(t *testing.T) {
	f := builtinFilter(t)
	r := f.Check("H1tl3r", safety.Youth)
	if len(r.Hits) != 1 || r.Hits[0].Term != "Hitler" || r.Hits[0].Show {
		t.Errorf("hits = %+v, want the list's term, not shown", r.Hits)
	}
}

func TestCheckConcurrent(t *testing.T) {
	f := builtinFilter(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if f.Check("ein H4kenkreuz", safety.Kids).Decision != safety.Block {
					t.Error("concurrent check missed")
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestCompileProblems(t *testing.T) {
	valid := func() safety.Lists {
		return safety.Lists{
			Forbidden:    safety.TermList{Category: safety.CategoryForbidden, Terms: []safety.Term{{Term: "Hakenkreuz"}}},
			Kids:         safety.TermList{Category: safety.CategoryViolence, Terms: []safety.Term{{Term: "Blut"}}},
			Youth:        safety.TermList{Category: safety.CategoryViolence, Terms: []safety.Term{{Term: "Massaker"}}},
			PersonalData: safety.PatternSet{Patterns: []safety.Pattern{{Name: "email", Regex: `\S+@\S+`}}},
			Allow:        safety.AllowList{Words: []string{"Waffel"}},
		}
	}
	tests := []struct {
		name   string
		change func(*safety.Lists)
		want   string
	}{
		{"empty list", func(l *safety.Lists) { l.Kids.Terms = nil }, "kids: terms: the list is empty"},
		{"empty term", func(l *safety.Lists) { l.Youth.Terms[0].Term = " - " }, "youth: terms[0].term:"},
		{"bad category", func(l *safety.Lists) { l.Kids.Terms[0].Category = "forbidden_symbol" }, "kids: terms[0].category: unknown category"},
		{"duplicate", func(l *safety.Lists) { l.Kids.Terms[0].Evasions = []string{"BLUUT"} }, "kids: terms[0].evasions[0]: \"BLUUT\" is the same"},
		{"context of two words", func(l *safety.Lists) { l.Forbidden.Terms[0].Context = []string{"zwei Worte"} }, "86a: terms[0].context[0]"},
		{"bad regex", func(l *safety.Lists) { l.PersonalData.Patterns[0].Regex = "(" }, "personal_data: patterns[0].regex"},
		{"unknown check", func(l *safety.Lists) { l.PersonalData.Patterns[0].Check = "luhn" }, "personal_data: patterns[0].check"},
		{"allow word is a term", func(l *safety.Lists) { l.Allow.Words = []string{"Blut"} }, "allow: words[0]"},
		{"empty allow list", func(l *safety.Lists) { l.Allow.Words = nil }, "allow: words: the list is empty"},
	}
	if f, probs := safety.Compile(valid()); f == nil || len(probs) > 0 {
		t.Fatalf("valid lists: %v", probs)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := valid()
			tt.change(&l)
			f, probs := safety.Compile(l)
			if f != nil {
				t.Error("a filter despite problems")
			}
			var all []string
			for _, p := range probs {
				all = append(all, p.String())
			}
			if !strings.Contains(strings.Join(all, "\n"), tt.want) {
				t.Errorf("problems %q lack %q", all, tt.want)
			}
		})
	}
}
