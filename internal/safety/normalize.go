package safety

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns the normalised form of s that list terms and student
// texts are compared in: its words (tokens) separated by single spaces.
// The pipeline (docs/safety.md, "Normalisation"):
//
//  1. NFKC (fullwidth and mathematical letters become plain ones);
//  2. per rune: lookalike letters of other scripts to Latin, lower case,
//     ä/ö/ü/ß/æ/œ spelled out (ae, oe, ue, ss, ...), other diacritics,
//     zero-width characters and combining marks removed;
//  3. split into words at everything that is not a letter or digit; the
//     symbols ! $ € @ count as letters next to a letter, an apostrophe
//     between letters is dropped, and a '.' or ',' between digits stays
//     inside the number (as '.');
//  4. leetspeak (4→a 3→e 0→o 1→i !→i $→s €→e @→a 7→t 5→s) only in words
//     with at least two letters or more letters than digits, so numbers
//     ("88", "2024") and codes ("c18") keep their digits;
//  5. repeated letters collapsed ("hiiitler" → "hitler");
//  6. runs of single letters joined into one word ("h.i.t.l.e.r",
//     "h i t l e r" → "hitler"); a digit joins only between letters.
//
// Normalize is idempotent: Normalize(Normalize(s)) == Normalize(s).
func Normalize(s string) string { return strings.Join(tokenize(s), " ") }

// tokenize returns the normalised words of s (see Normalize).
func tokenize(s string) []string {
	s = norm.NFKC.String(s)
	folded := make([]rune, 0, len(s)+8)
	for _, r := range s {
		folded = foldRune(folded, r)
	}
	raw := splitWords(folded)
	keys := make([]string, len(raw))
	for i, w := range raw {
		keys[i] = tokenKey(w)
	}
	return joinSingles(raw, keys)
}

// splitWords splits folded text into raw words (step 3 of Normalize).
func splitWords(f []rune) []string {
	var words []string
	var cur []rune
	number := true // cur holds only digits and '.'
	at := func(i int) rune {
		if i < 0 || i >= len(f) {
			return ' '
		}
		return f[i]
	}
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
		number = true
	}
	for i, r := range f {
		prev, next := at(i-1), at(i+1)
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur = append(cur, r)
			number = number && isDigit(r)
		case r == '!' && isWordRune(prev) && len(cur) > 0 && letterAfterBangs(f, i):
			cur = append(cur, r)
			number = false
		case r != '!' && isLeetSymbol(r) && (unicode.IsLetter(prev) && len(cur) > 0 || unicode.IsLetter(next)):
			cur = append(cur, r)
			number = false
		case isApostrophe(r) && unicode.IsLetter(prev) && unicode.IsLetter(next) && len(cur) > 0:
			// "don't" → "dont"
		case (r == '.' || r == ',') && isDigit(prev) && isDigit(next) && len(cur) > 0 && number:
			cur = append(cur, '.')
		default:
			flush()
		}
	}
	flush()
	return words
}

// letterAfterBangs reports whether the run of '!' at f[i] is followed by a
// letter or digit ("h!tler", but not "heil!!!").
func letterAfterBangs(f []rune, i int) bool {
	for i < len(f) && f[i] == '!' {
		i++
	}
	return i < len(f) && (unicode.IsLetter(f[i]) || unicode.IsDigit(f[i]))
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || isLeetSymbol(r) }

func isDigit(r rune) bool { return '0' <= r && r <= '9' }

func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == '`' || r == 'ʼ' }

// tokenKey folds leetspeak in a word that is mostly letters and collapses
// repeated letters (steps 4 and 5 of Normalize).
func tokenKey(w string) string {
	letters, digits := 0, 0
	for _, r := range w {
		switch {
		case unicode.IsLetter(r):
			letters++
		case unicode.IsDigit(r):
			digits++
		}
	}
	doLeet := letters >= 2 || letters > digits
	var b strings.Builder
	b.Grow(len(w))
	var last rune = -1
	for _, r := range w {
		if doLeet {
			if l, ok := leet[r]; ok {
				r = l
			}
		}
		if r == last && unicode.IsLetter(r) {
			continue
		}
		b.WriteRune(r)
		last = r
	}
	return b.String()
}

// joinSingles joins runs of one-letter words into one word (step 6 of
// Normalize). A one-digit word joins only between one-letter words, and a
// run needs at least two letters.
func joinSingles(raw, keys []string) []string {
	out := keys[:0:0]
	for i := 0; i < len(keys); {
		if !singleLetter(keys[i]) {
			out = append(out, keys[i])
			i++
			continue
		}
		j, letters := i, 0
		for j < len(keys) && (singleLetter(keys[j]) || singleDigit(keys[j]) && j+1 < len(keys) && singleLetter(keys[j+1])) {
			if singleLetter(keys[j]) {
				letters++
			}
			j++
		}
		if letters < 2 {
			out = append(out, keys[i])
			i++
			continue
		}
		out = append(out, tokenKey(strings.Join(raw[i:j], "")))
		i = j
	}
	return out
}

func singleLetter(k string) bool {
	r, n := utf8.DecodeRuneInString(k)
	return n == len(k) && unicode.IsLetter(r)
}

func singleDigit(k string) bool { return len(k) == 1 && isDigit(rune(k[0])) }
