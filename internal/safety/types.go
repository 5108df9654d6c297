// Package safety holds the youth-protection checks of stages 1 and 3
// (docs/safety.md): safety levels, the term lists, the text normaliser and
// the matcher that finds list terms in what a student wrote, and the
// decision a level takes on what was found.
//
// This file is the contract between the filter (normalise.go, match.go,
// lists.go) and its consumers (the pipeline, the LLM judge): the types a
// check returns.
package safety

import "fmt"

// Level is a safety level. The server's level is the floor; a run may ask
// for a stricter one, never a looser one.
type Level string

// Safety levels, strictest first.
const (
	Kids     Level = "kids"     // about 8-12
	Youth    Level = "youth"    // 13-17
	Adult    Level = "adult"    // grown-ups
	Research Level = "research" // research with adults: checks are recorded, nothing is blocked
)

// Levels lists the levels from strictest to loosest.
var Levels = []Level{Kids, Youth, Adult, Research}

// ParseLevel returns the level named s, or an error naming the choices.
func ParseLevel(s string) (Level, error) {
	for _, l := range Levels {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("safety: unknown level %q: want kids, youth, adult or research", s)
}

// Rank orders levels: 0 for kids up to 3 for research; -1 for an unknown one.
func (l Level) Rank() int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return -1
}

// Stricter returns the stricter of l and m.
func (l Level) Stricter(m Level) Level {
	if m.Rank() >= 0 && (l.Rank() < 0 || m.Rank() < l.Rank()) {
		return m
	}
	return l
}

// Category is the kind of content a check found; the student's explanation
// is chosen by it.
type Category string

// Categories.
const (
	CategoryNone         Category = ""
	CategoryForbidden    Category = "forbidden_symbol" // §86a StGB: symbols, slogans, codes, banned organisations
	CategoryPersonalData Category = "personal_data"    // e-mail, phone, street address, IBAN
	CategoryViolence     Category = "violence"
	CategorySexual       Category = "sexual"
	CategoryDrugs        Category = "drugs"
	CategorySelfHarm     Category = "self_harm"
	CategoryHorror       Category = "horror"
	CategoryOther        Category = "other" // a judge's verdict without a category
)

// Decision is what the filter decides for a text at a level.
type Decision int

// Decisions, from mildest to strictest.
const (
	// Pass: nothing found that matters at this level.
	Pass Decision = iota
	// Judge: a kids or youth list term was found; the LLM judge decides.
	Judge
	// Block: a §86a term (every level but research) or personal data
	// (kids and youth) was found; no judge can overrule it.
	Block
)

// String names the decision for logs and records.
func (d Decision) String() string {
	switch d {
	case Pass:
		return "pass"
	case Judge:
		return "judge"
	case Block:
		return "block"
	}
	return fmt.Sprintf("decision(%d)", int(d))
}

// Hit is one list term (or personal-data pattern) found in a text.
type Hit struct {
	// List is the id of the list it came from ("86a", "kids", "youth",
	// "personal_data").
	List     string
	Category Category
	// Term is the list's term (or the pattern's name for personal data),
	// never the student's text.
	Term string
	// Show is false for terms that must not be repeated back (slurs,
	// symbols); the student's message then names only the category.
	Show bool
}

// Result is what one filter check of one text found and decided.
type Result struct {
	Decision Decision
	// Category is the category of the hit that decided (the strictest).
	Category Category
	Hits     []Hit
	// Checks names the lists that were consulted, e.g. "filter_86a",
	// "filter_personal_data", "filter_kids".
	Checks []string
}
