package pipeline

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ai4artsed/ai4artsed/internal/fault"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/safety"
)

// MaxPromptRunes is the longest prompt, text or context a run accepts.
const MaxPromptRunes = 4000

// Stage selections of a run request.
const (
	StagesAll          = "all"
	StagesInterception = "interception"
	StagesGeneration   = "generation"
)

// Request is what a client asks a run to do (docs/api.md, "Runs").
type Request struct {
	Stages       string `json:"stages"`
	Prompt       string `json:"prompt,omitempty"`
	Text         string `json:"text,omitempty"`
	Interception string `json:"interception,omitempty"`
	Context      string `json:"context,omitempty"`
	Output       string `json:"output,omitempty"`
	SafetyLevel  string `json:"safety_level,omitempty"`
	// RequestedSafetyLevel is the level the request asked for when it was
	// looser than the server's and so was raised to it; it is not part of
	// the JSON body a client sends (httpapi never sets it).
	RequestedSafetyLevel string         `json:"requested_safety_level,omitempty"`
	Lang                 string         `json:"lang,omitempty"`
	Seed                 *uint64        `json:"seed,omitempty"`
	LoRAs                []catalog.LoRA `json:"loras,omitempty"`
	Uploads              []string       `json:"uploads,omitempty"`
	// SourceRun is the interception run a generation run's text came
	// from (api.RunRequest.SourceRun); only recorded.
	SourceRun string `json:"source_run,omitempty"`
	// ClientID identifies the browser for the per-client run limit; it is not part of the JSON body.
	ClientID string `json:"-"`
	// Workshop holds the rules of the workshop the student joined, or nil;
	// httpapi sets it from the device cookie, never from the body.
	Workshop *Workshop `json:"-"`
	// WorkshopID records the workshop in the run's stored input.
	WorkshopID string `json:"workshop_id,omitempty"`
}

// Workshop is what a workshop changes about a run: a level that may only
// be stricter than the server's, the configs allowed (empty: all), the
// configs the admin disabled for every workshop and the unfinished runs
// per device (0: the server's limit; never more).
type Workshop struct {
	ID            string
	SafetyLevel   string
	Interceptions []string
	Outputs       []string
	// DisabledInterceptions and DisabledOutputs are refused even when the
	// workshop allows every config (docs/api.md, "Admin settings").
	DisabledInterceptions []string
	DisabledOutputs       []string
	RunsAtOnce            int
}

// clientLimit is the most unfinished runs of req's client: the server's
// limit, lowered by a workshop's.
func (req *Request) clientLimit(server int) int {
	if w := req.Workshop; w != nil && w.RunsAtOnce > 0 && w.RunsAtOnce < server {
		return w.RunsAtOnce
	}
	return server
}

// applyWorkshop raises the level to the workshop's and refuses configs the
// workshop does not allow (fault.ErrNotInWorkshop).
func (req *Request) applyWorkshop() error {
	w := req.Workshop
	if w == nil {
		return nil
	}
	req.WorkshopID = w.ID
	if wl, err := safety.ParseLevel(w.SafetyLevel); err == nil {
		asked := safety.Level(req.SafetyLevel)
		if eff := asked.Stricter(wl); eff != asked {
			if req.RequestedSafetyLevel == "" {
				req.RequestedSafetyLevel = req.SafetyLevel
			}
			req.SafetyLevel = string(eff)
		}
	}
	if len(w.Interceptions) > 0 && !slices.Contains(w.Interceptions, req.Interception) {
		return fmt.Errorf("interception %q: %w", req.Interception, fault.ErrNotInWorkshop)
	}
	if req.Output != "" && len(w.Outputs) > 0 && !slices.Contains(w.Outputs, req.Output) {
		return fmt.Errorf("output %q: %w", req.Output, fault.ErrNotInWorkshop)
	}
	if req.Interception != "" && slices.Contains(w.DisabledInterceptions, req.Interception) {
		return fmt.Errorf("interception %q disabled by the admin: %w", req.Interception, fault.ErrNotInWorkshop)
	}
	if req.Output != "" && slices.Contains(w.DisabledOutputs, req.Output) {
		return fmt.Errorf("output %q disabled by the admin: %w", req.Output, fault.ErrNotInWorkshop)
	}
	return nil
}

// Limits of a run request (docs/api.md, "Runs").
const (
	// MaxLoRAs is the most LoRAs a request may add.
	MaxLoRAs = 8
	// MaxUploads is the most input images any request may name; an output
	// config may allow fewer.
	MaxUploads = 4
	// MaxSeed is the largest seed: 2^53-1, exact in every JSON reader
	// including a browser's.
	MaxSeed = 1<<53 - 1
)

// normalize fills defaults and checks the request against the catalog. It
// returns a *fault.ValidationError with a message in the request's language,
// or an error wrapping fault.ErrUnknownConfig or fault.ErrStageUnavailable.
func (p *Pipeline) normalize(req *Request) error {
	if err := p.normalizeFields(req); err != nil {
		return err
	}
	return req.applyWorkshop()
}

// normalizeFields is normalize without the workshop's rules.
func (p *Pipeline) normalizeFields(req *Request) error {
	req.Stages = strings.TrimSpace(req.Stages)
	if req.Stages == "" {
		req.Stages = StagesInterception
	}
	if req.Lang == "" {
		req.Lang = p.cfg.Language
	}
	if req.Lang != "de" && req.Lang != "en" {
		return fault.Invalid("lang", `Die Sprache muss "de" oder "en" sein.`, `lang must be "de" or "en".`)
	}
	if err := p.normalizeLevel(req); err != nil {
		return err
	}
	if req.Seed != nil && *req.Seed > MaxSeed {
		return fault.Invalid("seed", fmt.Sprintf("Der Seed muss eine ganze Zahl von 0 bis %d sein.", uint64(MaxSeed)),
			fmt.Sprintf("The seed must be a whole number from 0 to %d.", uint64(MaxSeed)))
	}
	if len(req.LoRAs) > MaxLoRAs {
		return fault.Invalid("loras", fmt.Sprintf("Es sind höchstens %d LoRAs erlaubt, nicht %d.", MaxLoRAs, len(req.LoRAs)),
			fmt.Sprintf("At most %d LoRAs are allowed, not %d.", MaxLoRAs, len(req.LoRAs)))
	}
	if len(req.Uploads) > MaxUploads {
		return fault.Invalid("uploads", fmt.Sprintf("Es sind höchstens %d Bilder erlaubt, nicht %d.", MaxUploads, len(req.Uploads)),
			fmt.Sprintf("At most %d images are allowed, not %d.", MaxUploads, len(req.Uploads)))
	}
	if err := checkText("context", req.Context, false); err != nil {
		return err
	}
	if req.SourceRun != "" && !validID(req.SourceRun) {
		return fault.Invalid("source_run", "source_run ist keine Lauf-Kennung.", "source_run is not a run id.")
	}
	if req.Interception == "" {
		req.Interception = catalog.DefaultInterception
	}
	ic, ok := p.cfg.Catalog.Interception(req.Interception)
	if !ok {
		return fmt.Errorf("interception config %q: %w", req.Interception, fault.ErrUnknownConfig)
	}
	for i, l := range req.LoRAs {
		if err := checkLoRA(l); err != nil {
			return fault.Invalid(fmt.Sprintf("loras[%d]", i), "Diese LoRA-Angabe ist ungültig: "+err.Error(), "This LoRA is not valid: "+err.Error())
		}
	}
	switch req.Stages {
	case StagesInterception:
		if err := checkText("prompt", req.Prompt, true); err != nil {
			return err
		}
		if len(req.Uploads) > 0 {
			return fault.Invalid("uploads", "Für die Verwandlung des Textes werden keine Bilder gebraucht.", "The interception stage takes no images.")
		}
		if ic.UserDefined && strings.TrimSpace(req.Context) == "" {
			return fault.Invalid("context", "Bitte schreib zuerst deine eigenen Regeln auf.", "Please write your own rules first.")
		}
		return nil
	case StagesGeneration:
		if err := checkText("text", req.Text, true); err != nil {
			return err
		}
		return p.normalizeOutput(req, ic)
	case StagesAll:
		if err := checkText("prompt", req.Prompt, true); err != nil {
			return err
		}
		if ic.UserDefined && strings.TrimSpace(req.Context) == "" {
			return fault.Invalid("context", "Bitte schreib zuerst deine eigenen Regeln auf.", "Please write your own rules first.")
		}
		return p.normalizeOutput(req, ic)
	}
	return fault.Invalid("stages", `stages muss "all", "interception" oder "generation" sein.`, `stages must be "all", "interception" or "generation".`)
}

// normalizeLevel applies the server's level as the floor: an empty level
// is the server's, a looser one is raised to it silently (the run's input
// keeps what was asked for in RequestedSafetyLevel), an unknown one is a
// validation error.
func (p *Pipeline) normalizeLevel(req *Request) error {
	if req.SafetyLevel == "" {
		req.SafetyLevel = string(p.cfg.SafetyLevel)
	}
	asked, err := safety.ParseLevel(req.SafetyLevel)
	if err != nil {
		return fault.Invalid("safety_level", "Die Sicherheitsstufe muss kids, youth, adult oder research sein.",
			"safety_level must be one of kids, youth, adult, research.")
	}
	if eff := asked.Stricter(p.cfg.SafetyLevel); eff != asked {
		req.RequestedSafetyLevel, req.SafetyLevel = string(asked), string(eff)
	}
	return nil
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
		return fmt.Errorf("output config %q: %w", req.Output, fault.ErrUnknownConfig)
	}
	if n := len(req.Uploads); n < out.Uploads.Min || n > out.Uploads.Max {
		if out.Uploads.Max == 0 {
			return fault.Invalid("uploads", "Dieses Bildmodell nimmt keine Bilder an.", fmt.Sprintf("Output %q takes no input images.", out.ID))
		}
		return fault.Invalid("uploads",
			fmt.Sprintf("Dieses Bildmodell braucht %d bis %d Bilder, du hast %d hochgeladen.", out.Uploads.Min, out.Uploads.Max, n),
			fmt.Sprintf("Output %q needs %d to %d input images, got %d.", out.ID, out.Uploads.Min, out.Uploads.Max, n))
	}
	for i, id := range req.Uploads {
		if !validID(id) {
			return fault.Invalid(fmt.Sprintf("uploads[%d]", i), "Das ist keine Bild-Kennung.", "That is not an upload id.")
		}
	}
	return nil
}

// fieldWord names a text field for a student.
var fieldWord = map[string]fault.Text{
	"prompt":  fault.T("Deine Idee", "Your idea"),
	"text":    fault.T("Der Text für das Bild", "The text for the image"),
	"context": fault.T("Deine Regeln", "Your rules"),
}

func checkText(field, s string, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		if field == "prompt" {
			return fault.Invalid(field, "Bitte schreib zuerst deine Idee auf.", "Please write your idea first.")
		}
		return fault.Invalid(field, "Bitte schreib zuerst einen Text für das Bild.", "Please write a text for the image first.")
	}
	w := fieldWord[field]
	if !utf8.ValidString(s) {
		return fault.Invalid(field, w.De+" enthält ungültige Zeichen.", w.En+" contains invalid characters.")
	}
	if n := utf8.RuneCountInString(s); n > MaxPromptRunes {
		return fault.Invalid(field,
			fmt.Sprintf("%s ist %d Zeichen lang; erlaubt sind %d.", w.De, n, MaxPromptRunes),
			fmt.Sprintf("%s is %d characters long; the limit is %d.", w.En, n, MaxPromptRunes))
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
