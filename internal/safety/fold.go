package safety

import (
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// confusables maps letters of other scripts that look like a Latin letter
// to that letter (our own table of the common lookalikes; fullwidth and
// mathematical letters are already folded by NFKC). Both cases are listed
// because it is applied before and after lower-casing.
var confusables = map[rune]rune{
	// Cyrillic capitals
	'А': 'a', 'В': 'b', 'Е': 'e', 'К': 'k', 'М': 'm', 'Н': 'h', 'О': 'o',
	'Р': 'p', 'С': 'c', 'Т': 't', 'Х': 'x', 'У': 'y', 'І': 'i', 'Ј': 'j',
	'Ѕ': 's', 'Ԁ': 'd', 'Ԛ': 'q', 'Ԝ': 'w', 'Ү': 'y', 'Һ': 'h', 'Ӏ': 'l',
	// Cyrillic small letters
	'а': 'a', 'в': 'b', 'е': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o',
	'р': 'p', 'с': 'c', 'т': 't', 'х': 'x', 'у': 'y', 'і': 'i', 'ј': 'j',
	'ѕ': 's', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'ү': 'y', 'һ': 'h', 'ӏ': 'l',
	'ё': 'e', 'ї': 'i', 'ѵ': 'v', 'ɡ': 'g',
	// Greek capitals
	'Α': 'a', 'Β': 'b', 'Ε': 'e', 'Ζ': 'z', 'Η': 'h', 'Ι': 'i', 'Κ': 'k',
	'Μ': 'm', 'Ν': 'n', 'Ο': 'o', 'Ρ': 'p', 'Τ': 't', 'Υ': 'y', 'Χ': 'x',
	// Greek small letters
	'α': 'a', 'β': 'b', 'γ': 'y', 'ε': 'e', 'ι': 'i', 'κ': 'k', 'ν': 'v',
	'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x', 'ω': 'w', 'η': 'n',
	// Latin letters without a decomposition
	'ı': 'i', 'ł': 'l', 'ø': 'o', 'đ': 'd', 'ħ': 'h', 'ŧ': 't', 'ƀ': 'b',
}

// multiFolds are letters folded to two Latin letters: the German umlauts
// (so "ü" and "ue" match alike), ß, and ligatures NFKC keeps.
var multiFolds = map[rune]string{
	'ä': "ae", 'ö': "oe", 'ü': "ue", 'ß': "ss", 'æ': "ae", 'œ': "oe", 'þ': "th",
}

// leet maps digits and symbols used for letters. Digits are folded only
// inside words that are mostly letters (see tokenKey), so numbers survive.
var leet = map[rune]rune{
	'4': 'a', '3': 'e', '0': 'o', '1': 'i', '!': 'i', '$': 's', '€': 'e',
	'@': 'a', '7': 't', '5': 's',
}

// isLeetSymbol reports a symbol that can stand for a letter inside a word.
func isLeetSymbol(r rune) bool { return r == '!' || r == '$' || r == '€' || r == '@' }

// foldRune appends the folded form of one rune of NFKC text to buf: lookalikes
// to Latin, lower case, umlauts and ß spelled out, other diacritics removed.
// Format characters (zero-width joiners, soft hyphens) and combining marks
// are dropped.
func foldRune(buf []rune, r rune) []rune {
	if r < 0x80 {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(buf, r)
	}
	if unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Mn, r) {
		return buf
	}
	if c, ok := confusables[r]; ok {
		return append(buf, c)
	}
	r = unicode.ToLower(r)
	if c, ok := confusables[r]; ok {
		return append(buf, c)
	}
	if s, ok := multiFolds[r]; ok {
		return append(buf, []rune(s)...)
	}
	if unicode.IsLetter(r) {
		return append(buf, stripMarks(r)...)
	}
	return append(buf, r)
}

// stripMarks removes the diacritics of a letter ("é" → "e") by decomposing
// it and dropping the combining marks; a letter without a decomposition is
// returned as it is.
func stripMarks(r rune) []rune {
	d := []rune(norm.NFD.String(string(r)))
	out := d[:0]
	for _, x := range d {
		if !unicode.Is(unicode.Mn, x) {
			out = append(out, x)
		}
	}
	if len(out) == 1 && out[0] != r {
		if s, ok := multiFolds[out[0]]; ok {
			return []rune(s)
		}
		return foldRune(nil, out[0])
	}
	return out
}
