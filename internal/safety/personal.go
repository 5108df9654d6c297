package safety

import (
	"regexp"
	"strings"
)

// pattern is one compiled personal-data pattern.
type pattern struct {
	Pattern
	re *regexp.Regexp
}

// matchPersonal runs the personal-data patterns on the NFKC text and
// returns one hit per pattern that matched (with its check passed).
func (f *Filter) matchPersonal(text string) []Hit {
	digits := 0
	for i := range len(text) {
		if isDigit(rune(text[i])) {
			digits++
		}
	}
	var hits []Hit
	for _, p := range f.patterns {
		if digits < p.MinDigits || p.Needs != "" && !strings.Contains(text, p.Needs) {
			continue
		}
		for _, s := range p.re.FindAllString(text, -1) {
			if p.accepts(s) {
				hits = append(hits, Hit{List: ListPersonalData, Category: CategoryPersonalData, Term: p.Name, Show: true})
				break
			}
		}
	}
	return hits
}

// streetStopwords are words that show an English "... street/road ..."
// match is a sentence, not an address ("the street 5 times").
var streetStopwords = map[string]bool{
	"the": true, "a": true, "an": true, "on": true, "in": true, "at": true, "down": true, "up": true,
	"along": true, "across": true, "of": true, "to": true, "my": true, "our": true, "his": true,
	"her": true, "their": true, "this": true, "that": true, "old": true, "big": true, "small": true,
	"long": true, "busy": true, "empty": true, "dark": true, "little": true, "new": true, "wet": true,
	"quiet": true, "times": true, "and": true, "or": true, "one": true, "way": true,
}

// accepts applies the pattern's extra check to one match.
func (p *pattern) accepts(s string) bool {
	switch p.Check {
	case "iban":
		return validIBAN(s)
	case "phone":
		n := countDigits(s)
		return n >= 7 && n <= 15
	case "street_en":
		for _, w := range strings.Fields(strings.ToLower(s)) {
			if streetStopwords[strings.Trim(w, ".")] {
				return false
			}
		}
	}
	return true
}

func countDigits(s string) int {
	n := 0
	for i := range len(s) {
		if isDigit(rune(s[i])) {
			n++
		}
	}
	return n
}

// validIBAN checks the ISO 13616 checksum of an IBAN (spaces ignored): move
// the first four characters to the end, letters become 10..35, and the
// number must leave 1 modulo 97.
func validIBAN(s string) bool {
	s = strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	s = s[4:] + s[:4]
	rem := 0
	for i := range len(s) {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case 'A' <= c && c <= 'Z':
			rem = (rem*100 + int(c-'A') + 10) % 97
		default:
			return false
		}
	}
	return rem == 1
}
