package safety

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Matching thresholds, in runes of the normalised form (docs/safety.md).
const (
	minCompound = 5 // default: a term this long also matches as a compound part
	minInterior = 7 // a compound part in the middle of a word must be this long
	minRest     = 3 // the rest of a compound beside a part
	minFuzzy    = 7 // a term this long also matches at edit distance 1
	minConcat   = 6 // a term this long also matches split into 2 or 3 words
	contextSpan = 3 // words before and after a term searched for its context
)

// entry is one compiled term.
type entry struct {
	list     string
	category Category
	term     string // the list's spelling, reported in Hit.Term
	show     bool
	key      string   // the normalised words joined without spaces
	context  []string // normalised context words; nil: none needed
}

// compiler collects the maps of a Filter and the problems found.
type compiler struct {
	f     *Filter
	probs []Problem
	seen  map[string]string // list+key → field of the first term, for duplicates
}

func (c *compiler) errorf(list, field, format string, args ...any) {
	c.probs = append(c.probs, Problem{List: list, Field: field, Message: fmt.Sprintf(format, args...)})
}

// Compile validates the lists and builds the filter. Every problem is
// returned; the filter is nil if there is any, so a broken or empty list can
// never produce a filter that lets everything pass.
func Compile(l Lists) (*Filter, []Problem) {
	c := &compiler{f: newFilter(), seen: map[string]string{}}
	c.termList(ListForbidden, l.Forbidden, map[Category]bool{CategoryForbidden: true})
	c.termList(ListKids, l.Kids, termCategories)
	c.termList(ListYouth, l.Youth, termCategories)
	c.patterns(l.PersonalData)
	c.allow(l.Allow)
	if len(c.probs) > 0 {
		return nil, c.probs
	}
	return c.f, nil
}

func (c *compiler) termList(list string, tl TermList, cats map[Category]bool) {
	if len(tl.Terms) == 0 {
		c.errorf(list, "terms", "the list is empty; a list must hold at least one term")
	}
	if tl.Category != "" && !cats[tl.Category] {
		c.errorf(list, "category", "unknown category %q for this list", tl.Category)
	}
	for i, t := range tl.Terms {
		field := fmt.Sprintf("terms[%d]", i)
		cat := t.Category
		if cat == "" {
			cat = tl.Category
		}
		switch {
		case cat == "":
			c.errorf(list, field+".category", "no category (set it here or for the list)")
		case !cats[cat]:
			c.errorf(list, field+".category", "unknown category %q for this list", cat)
		}
		var ctx []string
		for j, w := range t.Context {
			ks := tokenize(w)
			if len(ks) != 1 {
				c.errorf(list, fmt.Sprintf("%s.context[%d]", field, j), "%q must be one word", w)
				continue
			}
			ctx = append(ctx, ks[0])
		}
		spellings := append([]string{t.Term}, t.Evasions...)
		for j, s := range spellings {
			sf := field + ".term"
			if j > 0 {
				sf = fmt.Sprintf("%s.evasions[%d]", field, j-1)
			}
			c.add(list, sf, s, entry{list: list, category: cat, term: t.Term, show: t.Show, context: ctx}, t.Compound)
		}
	}
}

// add compiles one spelling of a term into the maps.
func (c *compiler) add(list, field, spelling string, e entry, compound *bool) {
	keys := tokenize(spelling)
	if len(keys) == 0 {
		c.errorf(list, field, "%q has no letters or digits", spelling)
		return
	}
	if len(keys) > maxWords {
		c.errorf(list, field, "%q has more than %d words", spelling, maxWords)
		return
	}
	ngram := strings.Join(keys, " ")
	if first, dup := c.seen[list+"\x00"+ngram]; dup {
		c.errorf(list, field, "%q is the same after normalisation as %s", spelling, first)
		return
	}
	c.seen[list+"\x00"+ngram] = field
	e.key = strings.Join(keys, "")
	ep := &e
	f := c.f
	f.exact[ngram] = append(f.exact[ngram], ep)
	f.maxN = max(f.maxN, len(keys))
	letters := onlyLetters(e.key)
	if len(keys) > 1 {
		// A phrase also matches written as one word ("siegheil") when each
		// of its words has three or more letters; it never matches as a
		// compound part or by edit distance ("Waffen SS" is no "Waffens").
		if letters && e.context == nil && minRunes(keys) >= 3 && c.seen[list+"\x00"+e.key] == "" {
			c.seen[list+"\x00"+e.key] = field
			f.exact[e.key] = append(f.exact[e.key], ep)
		}
		return
	}
	n := utf8.RuneCountInString(e.key)
	inCompounds := n >= minCompound && e.context == nil && letters
	if compound != nil {
		inCompounds = *compound && letters
	}
	if inCompounds {
		f.parts[e.key] = append(f.parts[e.key], ep)
		f.minPart = min(f.minPart, n)
		if !slices.Contains(f.partLens, n) {
			f.partLens = append(f.partLens, n)
			slices.Sort(f.partLens)
		}
	}
	if e.context != nil || !letters {
		return
	}
	if n >= minConcat {
		f.joined[e.key] = append(f.joined[e.key], ep)
	}
	if n >= minFuzzy {
		f.maxFuzzy = max(f.maxFuzzy, n)
		for _, d := range deletions(e.key) {
			f.fuzzy[d] = append(f.fuzzy[d], ep)
		}
		f.fuzzy[e.key] = append(f.fuzzy[e.key], ep)
	}
}

// minRunes returns the length of the shortest word, in runes.
func minRunes(words []string) int {
	m := 1 << 30
	for _, w := range words {
		m = min(m, utf8.RuneCountInString(w))
	}
	return m
}

func (c *compiler) patterns(ps PatternSet) {
	if len(ps.Patterns) == 0 {
		c.errorf(ListPersonalData, "patterns", "the list is empty; it must hold at least one pattern")
	}
	names := map[string]bool{}
	for i, p := range ps.Patterns {
		field := fmt.Sprintf("patterns[%d]", i)
		if p.Name == "" {
			c.errorf(ListPersonalData, field+".name", "missing")
		} else if names[p.Name] {
			c.errorf(ListPersonalData, field+".name", "%q is used twice", p.Name)
		}
		names[p.Name] = true
		re, err := regexp.Compile(p.Regex)
		switch {
		case p.Regex == "":
			c.errorf(ListPersonalData, field+".regex", "missing")
		case err != nil:
			c.errorf(ListPersonalData, field+".regex", "%v", err)
		}
		if p.Check != "" && !knownChecks[p.Check] {
			c.errorf(ListPersonalData, field+".check", "unknown check %q: want iban, phone or street_en", p.Check)
		}
		if p.MinDigits < 0 {
			c.errorf(ListPersonalData, field+".min_digits", "must not be negative")
		}
		if re != nil {
			c.f.patterns = append(c.f.patterns, &pattern{Pattern: p, re: re})
		}
	}
}

func (c *compiler) allow(a AllowList) {
	if len(a.Words) == 0 {
		c.errorf(ListAllow, "words", "the list is empty; it must hold at least one word")
	}
	for i, w := range a.Words {
		field := fmt.Sprintf("words[%d]", i)
		ks := tokenize(w)
		if len(ks) != 1 {
			c.errorf(ListAllow, field, "%q must be one word", w)
			continue
		}
		for _, e := range c.f.exact[ks[0]] {
			c.errorf(ListAllow, field, "%q is the term %q of list %s after normalisation", w, e.term, e.list)
		}
		c.f.allow[ks[0]] = true
		c.f.maxAllow = max(c.f.maxAllow, utf8.RuneCountInString(ks[0]))
	}
}

// knownChecks are the values of Pattern.Check.
var knownChecks = map[string]bool{"iban": true, "phone": true, "street_en": true}

// deletions returns s with one rune removed, for each position.
func deletions(s string) []string {
	rs := []rune(s)
	out := make([]string, 0, len(rs))
	for i := range rs {
		out = append(out, string(rs[:i])+string(rs[i+1:]))
	}
	return out
}

func onlyLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return s != ""
}
