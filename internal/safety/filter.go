package safety

import (
	"cmp"
	"slices"

	"golang.org/x/text/unicode/norm"
)

// maxWords is the longest phrase a term may have, in words.
const maxWords = 8

// Filter is the compiled term lists and personal-data patterns of stages 1
// and 3. It is built once by Compile, immutable, and safe for concurrent use.
type Filter struct {
	exact    map[string][]*entry // normalised phrase (words joined by " ") → terms
	parts    map[string][]*entry // key of a term that may match as a compound part
	joined   map[string][]*entry // key of a term that may match split into words
	fuzzy    map[string][]*entry // key and its one-rune deletions → terms matched at distance 1
	allow    map[string]bool     // near-miss words
	maxN     int                 // longest phrase, in words
	minPart  int                 // shortest compound part, in runes
	partLens []int               // the lengths of compound parts, in runes, ascending
	maxAllow int                 // longest allowed word, in runes
	maxFuzzy int                 // longest term matched by edit distance, in runes
	patterns []*pattern
}

func newFilter() *Filter {
	return &Filter{
		exact: map[string][]*entry{}, parts: map[string][]*entry{},
		joined: map[string][]*entry{}, fuzzy: map[string][]*entry{},
		allow: map[string]bool{}, minPart: 1 << 30,
	}
}

// Terms returns the number of compiled spellings per list id and the number
// of personal-data patterns, for the start-up log.
func (f *Filter) Terms() map[string]int {
	n := map[string]int{ListPersonalData: len(f.patterns), ListAllow: len(f.allow)}
	for _, es := range f.exact {
		for _, e := range es {
			n[e.list]++
		}
	}
	return n
}

// Checks returns the names of the checks Check runs, in Result.Checks order.
func (f *Filter) Checks() []string {
	return []string{CheckForbidden, CheckPersonalData, CheckKids, CheckYouth}
}

// Check runs every list on text and decides for level:
//
//   - a §86a hit blocks at every level but research;
//   - personal data blocks at kids and youth;
//   - a youth-list hit at kids or youth, or a kids-list hit at kids, sends
//     the text to the judge;
//   - everything else passes. Hits are recorded at every level.
//
// An unknown level is treated as kids, the strictest.
func (f *Filter) Check(text string, level Level) Result {
	if level.Rank() < 0 {
		level = Kids
	}
	hits := f.matchTerms(tokenize(text))
	hits = append(hits, f.matchPersonal(norm.NFKC.String(text))...)
	slices.SortStableFunc(hits, func(a, b Hit) int { return cmp.Compare(listOrder(a.List), listOrder(b.List)) })
	res := Result{Decision: Pass, Hits: hits, Checks: f.Checks()}
	for _, h := range hits {
		if d := decide(h.List, level); d > res.Decision {
			res.Decision, res.Category = d, h.Category
		}
	}
	return res
}

// decide is the decision one hit of list takes at level.
func decide(list string, level Level) Decision {
	switch list {
	case ListForbidden:
		if level != Research {
			return Block
		}
	case ListPersonalData:
		if level == Kids || level == Youth {
			return Block
		}
	case ListYouth:
		if level == Kids || level == Youth {
			return Judge
		}
	case ListKids:
		if level == Kids {
			return Judge
		}
	}
	return Pass
}

func listOrder(list string) int {
	switch list {
	case ListForbidden:
		return 0
	case ListPersonalData:
		return 1
	case ListYouth:
		return 2
	}
	return 3
}
