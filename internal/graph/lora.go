package graph

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// LoRA is one LoRA to inject: a file name relative to ComfyUI's loras folder
// and the strengths applied to the model and to the text encoder.
type LoRA struct {
	Name         string  `json:"name"`
	Strength     float64 `json:"strength"`
	ClipStrength float64 `json:"clip_strength"`
}

// MaxStrength bounds LoRA strengths as ComfyUI's LoraLoader does (-100..100).
const MaxStrength = 100

// loraExts are the file extensions ComfyUI lists in its loras folder.
var loraExts = []string{".safetensors", ".sft", ".ckpt", ".pt", ".pt2", ".pth", ".bin", ".pkl"}

// maxNameLen bounds a LoRA name in bytes.
const maxNameLen = 512

// CheckLoRAName checks that name is a safe relative file name: non-empty, valid
// UTF-8 without control characters, colons or surrounding spaces, no absolute
// path (leading / or \, drive letter), no empty, "." or ".." segment (both / and
// \ count as separators), and a LoRA file extension such as .safetensors.
// Errors wrap [ErrBadLoRAName].
func CheckLoRAName(name string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrBadLoRAName, name, why) }
	switch {
	case name == "":
		return fmt.Errorf("%w: empty name", ErrBadLoRAName)
	case len(name) > maxNameLen:
		return bad(fmt.Sprintf("longer than %d bytes", maxNameLen))
	case !utf8.ValidString(name):
		return bad("not valid UTF-8")
	case strings.TrimSpace(name) != name:
		return bad("leading or trailing space")
	case strings.ContainsFunc(name, unicode.IsControl):
		return bad("control character")
	case name[0] == '/' || name[0] == '\\':
		return bad("absolute path; give a path relative to the loras folder")
	case strings.Contains(name, ":"):
		return bad("colon or drive letter; give a path relative to the loras folder")
	}
	for _, seg := range strings.Split(strings.ReplaceAll(name, `\`, "/"), "/") {
		switch seg {
		case "":
			return bad("empty path segment")
		case ".", "..":
			return bad(fmt.Sprintf("%q path segment", seg))
		}
	}
	lower := strings.ToLower(name)
	for _, ext := range loraExts {
		if strings.HasSuffix(lower, ext) && len(lower) > len(ext) && lower[len(lower)-len(ext)-1] != '/' && lower[len(lower)-len(ext)-1] != '\\' {
			return nil
		}
	}
	return bad("want a LoRA file name ending in " + strings.Join(loraExts, ", "))
}

// CheckStrength checks that a strength is finite and within -100..100.
// Errors wrap [ErrBadStrength].
func CheckStrength(s float64) error {
	if math.IsNaN(s) || math.IsInf(s, 0) || s < -MaxStrength || s > MaxStrength {
		return fmt.Errorf("%w: %v is not a number within -%d..%d", ErrBadStrength, s, MaxStrength, MaxStrength)
	}
	return nil
}

// Check checks the name and both strengths.
func (l LoRA) Check() error {
	if err := CheckLoRAName(l.Name); err != nil {
		return err
	}
	if err := CheckStrength(l.Strength); err != nil {
		return fmt.Errorf("lora %q model strength: %w", l.Name, err)
	}
	if err := CheckStrength(l.ClipStrength); err != nil {
		return fmt.Errorf("lora %q clip strength: %w", l.Name, err)
	}
	return nil
}

// ParseLoRASpec parses "NAME:STRENGTH[:CLIP_STRENGTH]"; CLIP_STRENGTH defaults
// to STRENGTH. Names may not contain colons, so the split is unambiguous. The
// result has passed [LoRA.Check]; errors wrap [ErrBadLoRAName] or [ErrBadStrength].
func ParseLoRASpec(s string) (LoRA, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		if len(parts) == 1 {
			return LoRA{}, fmt.Errorf("%w: lora %q: want NAME:STRENGTH[:CLIP_STRENGTH]", ErrBadStrength, s)
		}
		return LoRA{}, fmt.Errorf("%w: lora spec %q: want NAME:STRENGTH[:CLIP_STRENGTH] (names contain no colons)", ErrBadLoRAName, s)
	}
	l := LoRA{Name: parts[0]}
	if err := CheckLoRAName(l.Name); err != nil {
		return LoRA{}, err
	}
	var err error
	if l.Strength, err = parseStrength(parts[1]); err != nil {
		return LoRA{}, fmt.Errorf("lora %q strength: %w", l.Name, err)
	}
	l.ClipStrength = l.Strength
	if len(parts) == 3 {
		if l.ClipStrength, err = parseStrength(parts[2]); err != nil {
			return LoRA{}, fmt.Errorf("lora %q clip strength: %w", l.Name, err)
		}
	}
	return l, nil
}

func parseStrength(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is not a number", ErrBadStrength, s)
	}
	if err := CheckStrength(f); err != nil {
		return 0, err
	}
	return f, nil
}
