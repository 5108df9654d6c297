package ollamasim

import (
	"fmt"
	"hash/fnv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxSubjectWords bounds how much of the user's text a reply repeats.
const maxSubjectWords = 14

// unsafeWords is the built-in list that turns a safety verdict to UNSAFE.
var unsafeWords = map[string]bool{
	"weapon": true, "weapons": true, "gun": true, "guns": true, "knife": true,
	"blood": true, "bloody": true, "kill": true, "killing": true, "gore": true,
	"waffe": true, "waffen": true, "messer": true, "blut": true, "blutig": true,
	"töten": true, "tötet": true,
}

var germanWords = map[string]bool{
	"der": true, "die": true, "das": true, "und": true, "ein": true, "eine": true, "einen": true,
	"ist": true, "mit": true, "nicht": true, "ich": true, "auf": true, "im": true, "zu": true,
	"von": true, "für": true, "dem": true, "den": true, "des": true, "sich": true, "am": true,
}

var englishWords = map[string]bool{
	"the": true, "and": true, "a": true, "an": true, "is": true, "with": true, "of": true,
	"in": true, "on": true, "to": true, "for": true, "it": true, "at": true, "my": true,
}

// phrasing holds one language's building blocks.
type phrasing struct {
	templates []string // %[1]s subject, %[2]s and %[3]s phrases, %[4]s closing
	phrases   []string
	closings  []string
	empty     string
	lowerArt  bool // lower-case a leading article of the subject
}

var english = phrasing{
	templates: []string{
		"%[1]s, %[2]s and %[3]s. %[4]s",
		"Imagine %[1]s, %[2]s, %[3]s. %[4]s",
		"A scene of %[1]s: %[2]s and %[3]s. %[4]s",
	},
	phrases: []string{
		"bathed in golden evening light", "rendered in soft watercolour washes",
		"with bold, expressive brushstrokes", "under a shimmering violet sky",
		"assembled like a dreamy paper collage", "surrounded by drifting morning fog",
		"given a playful, surreal twist", "seen from a low, dramatic angle",
		"glowing with neon reflections", "framed by tangled wild flowers",
	},
	closings: []string{
		"The mood is calm and full of wonder.", "Every detail invites a second look.",
		"Colours and shapes tell a quiet story.", "It feels like a memory half remembered.",
		"The picture hums with gentle energy.",
	},
	empty:    "an empty canvas",
	lowerArt: true,
}

var german = phrasing{
	templates: []string{
		"%[1]s, %[2]s und %[3]s. %[4]s",
		"Stell dir vor: %[1]s, %[2]s, %[3]s. %[4]s",
		"Eine Szene mit %[1]s: %[2]s und %[3]s. %[4]s",
	},
	phrases: []string{
		"in goldenes Abendlicht getaucht", "in zarten Aquarellfarben gemalt",
		"mit kräftigen, ausdrucksvollen Pinselstrichen", "unter einem schimmernden violetten Himmel",
		"wie eine verträumte Papiercollage", "umhüllt von leichtem Morgennebel",
		"mit einer verspielten, surrealen Wendung", "aus einer tiefen, dramatischen Perspektive",
		"voller Neonspiegelungen", "umrahmt von wilden Blumen",
	},
	closings: []string{
		"Die Stimmung ist ruhig und voller Staunen.", "Jedes Detail lädt zum zweiten Hinsehen ein.",
		"Farben und Formen erzählen eine leise Geschichte.", "Es wirkt wie eine halb vergessene Erinnerung.",
		"Das Bild summt vor sanfter Energie.",
	},
	empty: "eine leere Leinwand",
}

// Reply returns the simulator's deterministic answer to a conversation. It
// depends on the model (name:latest and name are the same), the system
// messages and the last user message:
//   - a system prompt containing both "SAFE" and "UNSAFE" asks for a safety
//     verdict: "SAFE", or "UNSAFE: <reason>" when the user text (or the
//     tEXt chunks of its images) contains UnsafeMarker or a word of a small
//     built-in list (weapon, blood, Waffe, Blut, …); judge markers in the
//     model name pick other answer shapes (see MarkerGuard);
//   - a user message with images and no safety prompt: a description that
//     repeats the images' tEXt chunks;
//   - otherwise a short creative rewrite: the user's words plus two
//     hash-chosen descriptive phrases and a closing sentence, in German when
//     the user text looks German, else English. A system prompt asking for a
//     translation into English, or for an English image prompt, forces English.
func Reply(model string, messages []Message) string {
	var system []string
	user, seen := "", ""
	for _, m := range messages {
		switch m.Role {
		case "system":
			system = append(system, m.Content)
		case "user":
			user, seen = m.Content, imageText(m.Images)
		}
	}
	sys := strings.Join(system, "\n")
	if isSafetyPrompt(sys) {
		return judgeReply(model, user+"\n"+seen)
	}
	if seen != "" {
		return "The image shows " + seen
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s", fullName(model), sys, user)
	sum := h.Sum64()

	p := english
	if looksGerman(user) && !asksEnglishTranslation(sys) {
		p = german
	}
	subject := subjectOf(user, p.empty)
	if p.lowerArt {
		subject = lowerArticle(subject)
	}
	n := uint64(len(p.phrases))
	i1 := sum % n
	i2 := (i1 + 1 + (sum>>16)%(n-1)) % n
	tmpl := p.templates[(sum>>32)%uint64(len(p.templates))]
	closing := p.closings[(sum>>40)%uint64(len(p.closings))]
	out := fmt.Sprintf(tmpl, subject, p.phrases[i1], p.phrases[i2], closing)
	return capitalise(out)
}

// Tokens splits a reply into the pieces it is streamed in: words with
// their leading space. Concatenating the pieces gives the reply back.
func Tokens(reply string) []string {
	var out []string
	start := 0
	for i, r := range reply {
		if i > start && unicode.IsSpace(r) {
			prev, _ := utf8.DecodeLastRuneInString(reply[:i])
			if !unicode.IsSpace(prev) {
				out = append(out, reply[start:i])
				start = i
			}
		}
	}
	if start < len(reply) {
		out = append(out, reply[start:])
	}
	return out
}

// words returns the lower-cased letter runs of s.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) })
}

// looksGerman guesses the language of s from function words and umlauts.
func looksGerman(s string) bool {
	de, en := 0, 0
	if strings.ContainsAny(strings.ToLower(s), "äöüß") {
		de += 2
	}
	for _, w := range words(s) {
		if germanWords[w] {
			de++
		}
		if englishWords[w] {
			en++
		}
	}
	return de > en
}

func asksEnglishTranslation(sys string) bool {
	l := strings.ToLower(sys)
	if !strings.Contains(l, "english") && !strings.Contains(l, "englisch") {
		return false
	}
	// "translate ... into English", or the media-prompt optimisation's
	// "... as a concise English image prompt".
	return strings.Contains(l, "translat") || strings.Contains(l, "übersetz") ||
		strings.Contains(l, "english image") || strings.Contains(l, "englischen bild")
}

// subjectOf returns the user's text, shortened, as a phrase to build on.
func subjectOf(user, empty string) string {
	f := strings.Fields(user)
	if len(f) > maxSubjectWords {
		f = f[:maxSubjectWords]
	}
	s := strings.TrimRightFunc(strings.Join(f, " "), func(r rune) bool {
		return unicode.IsPunct(r) || unicode.IsSpace(r)
	})
	if s == "" {
		return empty
	}
	return s
}

// capitalise upper-cases the first letter.
func capitalise(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// lowerArticle lower-cases a leading English article so the subject reads
// well inside a sentence.
func lowerArticle(s string) string {
	first, _, _ := strings.Cut(s, " ")
	switch first {
	case "A", "An", "The":
		return strings.ToLower(first) + s[len(first):]
	}
	return s
}
