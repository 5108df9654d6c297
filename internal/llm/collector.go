package llm

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// errCapped ends a read whose answer (or thinking) reached the cap.
var errCapped = errors.New("llm: answer reached the character cap")

// errUnterminated ends a read whose stream closed cleanly without its final
// frame; run decides whether what arrived is enough.
var errUnterminated = errors.New("llm: stream ended without its final frame")

// collector gathers the streamed answer and thinking text, forwards answer
// text to the caller, enforces the character cap and tells the watchdog
// about every token.
type collector struct {
	fn    func(string) error
	limit int    // characters per kind of text; 0 = none
	touch func() // called for each piece of text

	text, thinking    strings.Builder
	textLen, thinkLen int // in characters
	doneReason        string
	loadDuration      time.Duration
	fnErr             error
}

// emit hands one piece of answer text to the caller; empty pieces are
// dropped. At the cap it delivers what fits and returns errCapped.
func (c *collector) emit(chunk string) error {
	if chunk == "" {
		return nil
	}
	c.tick()
	chunk, capped := c.fit(chunk, &c.textLen)
	if chunk != "" {
		c.text.WriteString(chunk)
		if c.fn != nil {
			if err := c.fn(chunk); err != nil {
				c.fnErr = err
				return err
			}
		}
	}
	if capped {
		return errCapped
	}
	return nil
}

// think keeps one piece of thinking text; it never reaches the caller's fn.
func (c *collector) think(chunk string) error {
	if chunk == "" {
		return nil
	}
	c.tick()
	chunk, capped := c.fit(chunk, &c.thinkLen)
	c.thinking.WriteString(chunk)
	if capped {
		return errCapped
	}
	return nil
}

func (c *collector) tick() {
	if c.touch != nil {
		c.touch()
	}
}

// fit cuts chunk so that *n plus its length stays within the limit, adds
// what is kept to *n and reports whether the limit was reached.
func (c *collector) fit(chunk string, n *int) (string, bool) {
	size := utf8.RuneCountInString(chunk)
	if c.limit <= 0 || *n+size < c.limit {
		*n += size
		return chunk, false
	}
	keep := c.limit - *n
	i := 0
	for keep > 0 && i < len(chunk) {
		_, w := utf8.DecodeRuneInString(chunk[i:])
		i += w
		keep--
	}
	*n += utf8.RuneCountInString(chunk[:i])
	return chunk[:i], true
}

// result is what was collected.
func (c *collector) result() Result {
	return Result{Text: c.text.String(), Thinking: c.thinking.String(), DoneReason: c.doneReason, LoadDuration: c.loadDuration}
}
