// Package workshop holds the rules of workshops that do not depend on
// storage: join codes and the hourly counters of workshop limits.
package workshop

import (
	"crypto/rand"
	"strings"
)

// CodeAlphabet has no look-alikes: no 0 or O, no 1, I or L, and no U
// (read as V).
const CodeAlphabet = "ABCDEFGHJKMNPQRSTVWXYZ23456789"

// CodeLen is the length of a join code: 30^7, about 2·10^10 codes.
const CodeLen = 7

// NewCode returns a random join code.
func NewCode() string {
	b := make([]byte, CodeLen)
	_, _ = rand.Read(b) // never fails
	for i := range b {
		// 256 % 30 = 16: the first 16 letters are 1/256 likelier; harmless
		// for a code that is guarded by a join rate limit.
		b[i] = CodeAlphabet[int(b[i])%len(CodeAlphabet)]
	}
	return string(b)
}

// NormalizeCode turns what a student typed into a code: upper case, with
// spaces and dashes dropped and look-alikes mapped (O to 0 is not in the
// alphabet, so "O" stays invalid). It returns "" when the result is not a
// well-formed code.
func NormalizeCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(s))
	if len(s) != CodeLen {
		return ""
	}
	for _, r := range s {
		if !strings.ContainsRune(CodeAlphabet, r) {
			return ""
		}
	}
	return s
}
