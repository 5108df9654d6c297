package ollamasim

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
)

// Judge model name markers: a model whose name contains one answers safety
// prompts (a system prompt naming both SAFE and UNSAFE) in that shape. The
// verdict itself always follows UnsafeMarker and the built-in word list.
const (
	// MarkerGuard: Llama Guard's shape, "safe" or "unsafe\nS1" (any name
	// with "guard", so llama-guard3 answers as the real one does).
	MarkerGuard = "guard"
	// MarkerJudgeJSON: {"verdict":"safe"} or {"verdict":"unsafe","category":"violence"}.
	MarkerJudgeJSON = "judge-json"
	// MarkerJudgeTags: a reasoning model that writes <think>...</think>
	// into its answer before "SAFE" or "UNSAFE".
	MarkerJudgeTags = "judge-tags"
	// MarkerJudgeGarbage: an answer without a verdict.
	MarkerJudgeGarbage = "judge-garbage"
	// MarkerSlow: the model waits Options.SlowDelay (default 10s) before
	// its first token, for judge timeouts. (A name with "think", such as
	// judge-think, is a thinking model: its reasoning, ending in the
	// verdict, streams as thinking text with an empty answer.)
	MarkerSlow = "slow"
)

// UnsafeMarker in a text (any case) makes every simulated judge and vision
// model call it unsafe, so tests can steer verdicts.
const UnsafeMarker = "UNSAFE-TEST"

// isSafetyPrompt reports whether the system prompt asks for a verdict.
func isSafetyPrompt(sys string) bool {
	return strings.Contains(sys, "UNSAFE") && strings.Contains(strings.ReplaceAll(sys, "UNSAFE", ""), "SAFE")
}

// unsafeReason returns what makes a text unsafe: the marker or the first
// word of the built-in list; "" when it is safe.
func unsafeReason(text string) string {
	if strings.Contains(strings.ToLower(text), strings.ToLower(UnsafeMarker)) {
		return UnsafeMarker
	}
	for _, w := range words(text) {
		if unsafeWords[w] {
			return w
		}
	}
	return ""
}

// judgeReply answers a safety prompt about subject in the model's shape.
func judgeReply(model, subject string) string {
	why := unsafeReason(subject)
	switch {
	case isMarked(model, MarkerJudgeGarbage):
		return "I like turtles. Have a nice day!"
	case isMarked(model, MarkerGuard):
		if why != "" {
			return "unsafe\nS1"
		}
		return "safe"
	case isMarked(model, MarkerJudgeJSON):
		if why != "" {
			return `{"verdict":"unsafe","category":"violence"}`
		}
		return `{"verdict":"safe"}`
	case isMarked(model, MarkerJudgeTags):
		if why != "" {
			return fmt.Sprintf("<think>The text mentions %q. That is not suitable.</think>\nUNSAFE\nviolence", why)
		}
		return "<think>Nothing in the text breaks the criteria.</think>\nSAFE"
	case isMarked(model, MarkerThink):
		if why != "" {
			return fmt.Sprintf("I check the text against the criteria. It mentions %q, which the criteria exclude. Verdict: UNSAFE", why)
		}
		return "I check the text against the criteria. Nothing in it is excluded. Verdict: SAFE"
	}
	if why != "" {
		return fmt.Sprintf("UNSAFE: the prompt mentions %q, which is not suitable here.", why)
	}
	return "SAFE"
}

// imageText returns the texts of the tEXt chunks of base64 PNG images:
// what the simulated vision model "sees" (the simulated image backends
// store the positive prompt there).
func imageText(images []string) string {
	var out []string
	for _, b64 := range images {
		data, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		out = append(out, pngTexts(data)...)
	}
	return strings.Join(out, "\n")
}

// pngTexts reads the values of a PNG's tEXt chunks.
func pngTexts(data []byte) []string {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(data, []byte(sig)) {
		return nil
	}
	var out []string
	for p := len(sig); p+12 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[p:]))
		typ := string(data[p+4 : p+8])
		if n < 0 || p+12+n > len(data) {
			break
		}
		if typ == "tEXt" {
			if _, v, ok := bytes.Cut(data[p+8:p+8+n], []byte{0}); ok {
				out = append(out, string(v))
			}
		}
		p += 12 + n
	}
	return out
}

// reply is Reply with the server's options: a vision check of an image
// whose text holds one of Options.UnsafeImageWords is unsafe.
func (s *Server) reply(model string, msgs []Message) string {
	if len(msgs) > 0 && len(s.opts.UnsafeImageWords) > 0 {
		last := msgs[len(msgs)-1]
		seen := strings.ToLower(imageText(last.Images))
		var sys []string
		for _, m := range msgs {
			if m.Role == "system" {
				sys = append(sys, m.Content)
			}
		}
		for _, w := range s.opts.UnsafeImageWords {
			if seen != "" && isSafetyPrompt(strings.Join(sys, "\n")) && strings.Contains(seen, strings.ToLower(w)) {
				return judgeReply(model, UnsafeMarker)
			}
		}
	}
	return Reply(model, msgs)
}
