package safety

import (
	"strings"
	"unicode/utf8"
)

// matcher collects the hits of one text; it lives for one Check.
type matcher struct {
	f    *Filter
	keys []string
	buf  []byte
	hits []Hit
	seen map[*entry]bool
}

// matchTerms finds the list terms in the normalised words of a text
// (docs/safety.md, "Matching"):
//
//   - whole words and phrases: every run of up to maxN words is looked up;
//   - compound parts: a term of a compound-eligible kind at the start or end
//     of a word with at least minRest runes beside it, or in its middle
//     (minRest on both sides) when at least minInterior runes long; at the
//     start of a word also followed by only an inflection ending (endings);
//   - split words: two or three adjacent words joined, for terms of at
//     least minConcat runes;
//   - edit distance 1 (insert, delete, change, swap) for words and terms of
//     at least minFuzzy runes that begin with the same letter.
//
// Words of the allow list never match as a whole by the last three rules,
// and a compound part inside an allowed word of the same token is dropped.
// Context-sensitive terms match only as whole words or phrases, with a
// context word nearby.
func (f *Filter) matchTerms(keys []string) []Hit {
	m := &matcher{f: f, keys: keys}
	for i := range keys {
		m.phrases(i)
		tok := keys[i]
		if f.allow[tok] {
			continue
		}
		m.compound(tok)
		m.concat(i)
		m.fuzzy(tok)
	}
	return m.hits
}

func (m *matcher) add(e *entry) {
	if m.seen == nil {
		m.seen = map[*entry]bool{}
	}
	if m.seen[e] {
		return
	}
	for _, h := range m.hits {
		if h.List == e.list && h.Term == e.term {
			m.seen[e] = true
			return
		}
	}
	m.seen[e] = true
	m.hits = append(m.hits, Hit{List: e.list, Category: e.category, Term: e.term, Show: e.show})
}

// phrases looks up the runs of 1..maxN words starting at word i.
func (m *matcher) phrases(i int) {
	m.buf = m.buf[:0]
	for n := 1; n <= m.f.maxN && i+n <= len(m.keys); n++ {
		if n > 1 {
			m.buf = append(m.buf, ' ')
		}
		m.buf = append(m.buf, m.keys[i+n-1]...)
		for _, e := range m.f.exact[string(m.buf)] {
			if e.context == nil || m.hasContext(i, i+n, e.context) {
				m.add(e)
			}
		}
	}
}

// hasContext reports whether a context word is within contextSpan words of
// the phrase keys[i:j].
func (m *matcher) hasContext(i, j int, ctx []string) bool {
	for k := max(0, i-contextSpan); k < min(len(m.keys), j+contextSpan); k++ {
		if k >= i && k < j {
			continue
		}
		for _, c := range ctx {
			if m.keys[k] == c || len(c) >= 4 && strings.HasPrefix(m.keys[k], c) {
				return true
			}
		}
	}
	return false
}

// compound looks up the parts of one word: for each start, only the part
// lengths some term has, so the cost is linear in the word's length.
func (m *matcher) compound(tok string) {
	n := utf8.RuneCountInString(tok)
	if n < m.f.minPart+1 {
		return
	}
	idx := runeOffsets(tok)
	for a := 0; a < n; a++ {
		for _, l := range m.f.partLens {
			b := a + l
			if b > n {
				break
			}
			prefix, suffix := a == 0, b == n
			if prefix && suffix {
				continue
			}
			if prefix && n-b < minRest && !endings[tok[idx[b]:]] || suffix && a < minRest {
				continue
			}
			interior := !prefix && !suffix
			if interior && (a < minRest || n-b < minRest || l < minInterior) {
				continue
			}
			for _, e := range m.f.parts[tok[idx[a]:idx[b]]] {
				if !m.insideAllowed(tok, idx, a, b) {
					m.add(e)
				}
			}
		}
	}
}

// endings are the German and English word endings after which a term still
// matches as the start of a word ("nackte", "Hakenkreuzen", "Zombies").
var endings = map[string]bool{"e": true, "n": true, "s": true, "en": true, "er": true, "es": true, "em": true, "ed": true}

// insideAllowed reports whether an allowed word longer than the part
// tok[a:b] (in runes) covers it.
func (m *matcher) insideAllowed(tok string, idx []int, a, b int) bool {
	n := len(idx) - 1
	for x := max(0, b-m.f.maxAllow); x <= a; x++ {
		for y := b; y <= min(n, x+m.f.maxAllow); y++ {
			if (x < a || y > b) && m.f.allow[tok[idx[x]:idx[y]]] {
				return true
			}
		}
	}
	return false
}

// concat joins word i with the next one or two words.
func (m *matcher) concat(i int) {
	m.buf = append(m.buf[:0], m.keys[i]...)
	for n := 2; n <= 3 && i+n <= len(m.keys); n++ {
		if m.f.allow[m.keys[i+n-1]] {
			return
		}
		m.buf = append(m.buf, m.keys[i+n-1]...)
		for _, e := range m.f.joined[string(m.buf)] {
			m.add(e)
		}
	}
}

// fuzzy finds terms at edit distance 1 from a word by looking up the word
// and its one-rune deletions in the deletion index, then verifying.
func (m *matcher) fuzzy(tok string) {
	n := utf8.RuneCountInString(tok)
	if n < minFuzzy-1 || n > m.f.maxFuzzy+1 || !onlyLetters(tok) {
		return
	}
	check := func(k string) {
		for _, e := range m.f.fuzzy[k] {
			if !m.seen[e] && firstRune(tok) == firstRune(e.key) && osaWithin1(tok, e.key) {
				m.add(e)
			}
		}
	}
	check(tok)
	idx := runeOffsets(tok)
	for i := range n {
		m.buf = append(append(m.buf[:0], tok[:idx[i]]...), tok[idx[i+1]:]...)
		check(string(m.buf))
	}
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// runeOffsets returns the byte offset of each rune of s and len(s).
func runeOffsets(s string) []int {
	idx := make([]int, 0, len(s)+1)
	for i := range s {
		idx = append(idx, i)
	}
	return append(idx, len(s))
}

// osaWithin1 reports whether a and b differ by at most one insertion,
// deletion, substitution or swap of adjacent runes.
func osaWithin1(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	if len(ra) < len(rb) {
		ra, rb = rb, ra
	}
	switch len(ra) - len(rb) {
	case 0:
		diff := -1
		for i := range ra {
			if ra[i] != rb[i] {
				if diff >= 0 {
					return i == diff+1 && ra[diff] == rb[i] && ra[i] == rb[diff] && string(ra[i+1:]) == string(rb[i+1:])
				}
				diff = i
			}
		}
		return true
	case 1:
		i := 0
		for i < len(rb) && ra[i] == rb[i] {
			i++
		}
		return string(ra[i+1:]) == string(rb[i:])
	}
	return false
}
