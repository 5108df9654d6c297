package pipeline

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
)

// MaxPromptRunes is the longest prompt, text or context a run accepts.
const MaxPromptRunes = 4000

// Stage selections of a run request.
const (
	StagesAll          = "all"
	StagesInterception = "interception"
	StagesGeneration   = "generation"
)

// Request is what a client asks a run to do (SPEC section 4).
type Request struct {
	Stages       string         `json:"stages"`
	Prompt       string         `json:"prompt,omitempty"`
	Text         string         `json:"text,omitempty"`
	Interception string         `json:"interception,omitempty"`
	Context      string         `json:"context,omitempty"`
	Output       string         `json:"output,omitempty"`
	SafetyLevel  string         `json:"safety_level,omitempty"`
	Lang         string         `json:"lang,omitempty"`
	Seed         *uint64        `json:"seed,omitempty"`
	LoRAs        []catalog.LoRA `json:"loras,omitempty"`
	Uploads      []string       `json:"uploads,omitempty"`
	// ClientID identifies the browser for the per-client run limit; it is not part of the JSON body.
	ClientID string `json:"-"`
}

// safetyRank orders safety levels from strictest to loosest.
var safetyRank = map[string]int{"kids": 0, "youth": 1, "adult": 2, "research": 3}

// normalize fills defaults and checks the request against the catalog. It
// returns a *ValidationError, or an error wrapping ErrUnknownConfig or
// ErrStageUnavailable.
func (p *Pipeline) normalize(req *Request) error {
	req.Stages = strings.TrimSpace(req.Stages)
	if req.Stages == "" {
		req.Stages = StagesInterception
	}
	if req.Lang == "" {
		req.Lang = p.cfg.Language
	}
	if req.Lang != "de" && req.Lang != "en" {
		return invalid("lang", "must be \"de\" or \"en\"")
	}
	if req.SafetyLevel == "" {
		req.SafetyLevel = p.cfg.SafetyLevel
	}
	rank, ok := safetyRank[req.SafetyLevel]
	if !ok {
		return invalid("safety_level", "must be one of kids, youth, adult, research")
	}
	if rank > safetyRank[p.cfg.SafetyLevel] {
		return invalid("safety_level", fmt.Sprintf("%q is looser than the server's level %q", req.SafetyLevel, p.cfg.SafetyLevel))
	}
	if err := checkText("context", req.Context, false); err != nil {
		return err
	}
	if req.Interception == "" {
		req.Interception = catalog.DefaultInterception
	}
	ic, ok := p.cfg.Catalog.Interception(req.Interception)
	if !ok {
		return fmt.Errorf("interception config %q: %w", req.Interception, ErrUnknownConfig)
	}
	for i, l := range req.LoRAs {
		if err := checkLoRA(l); err != nil {
			return invalid(fmt.Sprintf("loras[%d]", i), err.Error())
		}
	}
	switch req.Stages {
	case StagesInterception:
		if err := checkText("prompt", req.Prompt, true); err != nil {
			return err
		}
		if ic.UserDefined && strings.TrimSpace(req.Context) == "" {
			return invalid("context", "the user-defined interception needs rules in \"context\"")
		}
		return nil
	case StagesGeneration:
		if err := checkText("text", req.Text, true); err != nil {
			return err
		}
		return p.normalizeOutput(req, ic)
	case StagesAll:
		return fmt.Errorf("stages %q needs the safety stage: %w", req.Stages, ErrStageUnavailable)
	}
	return invalid("stages", "must be \"all\", \"interception\" or \"generation\"")
}

func (p *Pipeline) normalizeOutput(req *Request, ic *catalog.Interception) error {
	if req.Output == "" {
		req.Output = ic.MediaPreferences.DefaultOutput
	}
	if req.Output == "" {
		req.Output = p.cfg.DefaultOutput
	}
	out, ok := p.cfg.Catalog.Output(req.Output)
	if !ok {
		return fmt.Errorf("output config %q: %w", req.Output, ErrUnknownConfig)
	}
	if n := len(req.Uploads); n < out.Uploads.Min || n > out.Uploads.Max {
		if out.Uploads.Max == 0 {
			return invalid("uploads", fmt.Sprintf("output %q takes no input images", out.ID))
		}
		return invalid("uploads", fmt.Sprintf("output %q needs %d to %d input images, got %d", out.ID, out.Uploads.Min, out.Uploads.Max, n))
	}
	for i, id := range req.Uploads {
		if !validID(id) {
			return invalid(fmt.Sprintf("uploads[%d]", i), "not an upload id")
		}
	}
	return nil
}

func checkText(field, s string, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return invalid(field, "must not be empty")
	}
	if !utf8.ValidString(s) {
		return invalid(field, "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > MaxPromptRunes {
		return invalid(field, fmt.Sprintf("is %d characters long; the limit is %d", n, MaxPromptRunes))
	}
	return nil
}

// validID accepts the ids this server hands out: short, hex or dash.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r == '-') {
			return false
		}
	}
	return true
}
