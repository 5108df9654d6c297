package catalog

import (
	"encoding/json"
	"math"
	"strings"
)

// DefaultInterception is the id of the interception config used when a
// request names none: its context is empty and the rules come from the
// request's "context".
const DefaultInterception = "user_defined"

// isMediaKind reports whether a media_preferences.default_output value names
// a kind of medium rather than an output config (community files use "image").
func isMediaKind(s string) bool {
	switch s {
	case "image", "audio", "video", "music", "3d", "text":
		return true
	}
	return false
}

// Interception is an interception config: the meta-prompt (context) with
// which stage 2 rewrites a student's prompt, and how it is presented.
type Interception struct {
	ID          string `json:"id"`
	Name        Text   `json:"name"`
	Description Text   `json:"description"`
	Category    Text   `json:"category"`
	// Context is the meta-prompt; empty only for the user-defined config.
	Context          Text               `json:"context"`
	Parameters       InterceptionParams `json:"parameters"`
	MediaPreferences MediaPreferences   `json:"media_preferences"`
	Display          Display            `json:"display"`
	Audience         Audience           `json:"audience"`
	Properties       json.RawMessage    `json:"properties,omitempty"`
	// LoRAs apply to the image model whenever this interception's result is
	// generated with a workflow output; read from "loras" or "meta.loras".
	LoRAs []LoRA `json:"loras"`
	// UserDefined is set when the context is empty: the rules come from the
	// request's "context".
	UserDefined bool `json:"user_defined"`
	// File is where the config was read from ("builtin/interception/x.json").
	File string `json:"-"`
}

// InterceptionParams are the LLM sampling parameters of stage 2; nil or zero
// means the LLM's default.
type InterceptionParams struct {
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	MaxTokens   int      `json:"max_tokens,omitempty"`
}

// MediaPreferences says which output an interception is meant for.
type MediaPreferences struct {
	// DefaultOutput is the id of the output config used when a request names
	// none; empty when the file names only a kind of medium.
	DefaultOutput string `json:"default_output,omitempty"`
	// DefaultMedia is the kind of medium ("image") when the file's
	// default_output names a kind instead of an output config.
	DefaultMedia   string   `json:"default_media,omitempty"`
	SupportedTypes []string `json:"supported_types,omitempty"`
}

// Audience says who a config suits.
type Audience struct {
	MinAge           int  `json:"min_age"`
	WorkshopSuitable bool `json:"workshop_suitable"`
}

// interceptionFile is the community file format, including the fields other
// AI4ArtsEd tools write that we read but do not use (no unknown-field warning).
type interceptionFile struct {
	Pipeline        string          `json:"pipeline"`
	InstructionType string          `json:"instruction_type"`
	Name            Text            `json:"name"`
	Description     Text            `json:"description"`
	Category        Text            `json:"category"`
	Context         Text            `json:"context"`
	Properties      json.RawMessage `json:"properties"`
	Tags            json.RawMessage `json:"tags"`
	Parameters      struct {
		Temperature *float64 `json:"temperature"`
		TopP        *float64 `json:"top_p"`
		MaxTokens   int      `json:"max_tokens"`
	} `json:"parameters"`
	MediaPreferences struct {
		DefaultOutput  string   `json:"default_output"`
		SupportedTypes []string `json:"supported_types"`
	} `json:"media_preferences"`
	Display struct {
		Icon       string          `json:"icon"`
		Color      string          `json:"color"`
		Order      int             `json:"order"`
		Category   string          `json:"category"`
		Difficulty json.RawMessage `json:"difficulty"`
	} `json:"display"`
	Audience struct {
		MinAge           int    `json:"min_age"`
		WorkshopSuitable bool   `json:"workshop_suitable"`
		Complexity       string `json:"complexity"`
	} `json:"audience"`
	LoRAs []LoRA                     `json:"loras"`
	Meta  map[string]json.RawMessage `json:"meta"`
}

// decodeInterception reads one interception file. It returns nil when the
// file cannot be decoded; problems are recorded in ps.
func decodeInterception(ps *problems, id string, data []byte) *Interception {
	var f interceptionFile
	if !decodeFile(ps, data, &f) {
		return nil
	}
	loras := f.LoRAs
	if raw, ok := f.Meta["loras"]; ok {
		var metaLoRAs []LoRA
		if err := json.Unmarshal(raw, &metaLoRAs); err != nil {
			ps.errorf("meta.loras", "want an array of {name, strength, trigger}: %v", err)
			return nil
		}
		if len(loras) > 0 && len(metaLoRAs) > 0 {
			ps.warnf("meta.loras", "both loras and meta.loras are set; using loras")
		} else if len(loras) == 0 {
			loras = metaLoRAs
		}
	}
	in := &Interception{
		ID:          id,
		Name:        f.Name,
		Description: f.Description,
		Category:    f.Category,
		Context:     f.Context,
		Parameters: InterceptionParams{
			Temperature: f.Parameters.Temperature,
			TopP:        f.Parameters.TopP,
			MaxTokens:   f.Parameters.MaxTokens,
		},
		MediaPreferences: MediaPreferences{SupportedTypes: f.MediaPreferences.SupportedTypes},
		Display:          Display{Icon: f.Display.Icon, Color: f.Display.Color, Order: f.Display.Order},
		Audience:         Audience{MinAge: f.Audience.MinAge, WorkshopSuitable: f.Audience.WorkshopSuitable},
		Properties:       f.Properties,
		LoRAs:            loras,
		UserDefined:      strings.TrimSpace(f.Context.DE) == "" && strings.TrimSpace(f.Context.EN) == "",
		File:             ps.file,
	}
	if d := f.MediaPreferences.DefaultOutput; isMediaKind(strings.ToLower(d)) {
		in.MediaPreferences.DefaultMedia = strings.ToLower(d)
	} else {
		in.MediaPreferences.DefaultOutput = d
	}
	return in
}

// Validate checks the config and returns its problems, each naming file and
// field. outputs looks up output configs by id (for default_output); when it
// is nil, references to outputs are not checked.
func (i *Interception) Validate(outputs func(id string) (*Output, bool)) []Problem {
	ps := &problems{file: i.File}
	validateID(ps, i.ID)
	validateTexts(ps, i.Name, i.Description, i.Category)
	switch {
	case i.UserDefined && i.ID != DefaultInterception:
		ps.errorf("context", "empty context; only %q may leave the rules to the request", DefaultInterception)
	case !i.UserDefined:
		requireText(ps, "context", i.Context)
	}
	if t := i.Parameters.Temperature; t != nil && !inRange(*t, 0, 2) {
		ps.errorf("parameters.temperature", "%v is outside 0..2", *t)
	}
	if p := i.Parameters.TopP; p != nil && !inRange(*p, 0, 1) {
		ps.errorf("parameters.top_p", "%v is outside 0..1", *p)
	}
	if i.Parameters.MaxTokens < 0 {
		ps.errorf("parameters.max_tokens", "%d is negative", i.Parameters.MaxTokens)
	}
	validateDisplay(ps, i.Display)
	if a := i.Audience.MinAge; a < 0 || a > 99 {
		ps.errorf("audience.min_age", "%d is outside 0..99", a)
	}
	validateLoRAs(ps, "loras", i.LoRAs)
	if id := i.MediaPreferences.DefaultOutput; id != "" && outputs != nil {
		o, ok := outputs(id)
		switch {
		case !ok:
			ps.errorf("media_preferences.default_output", "no output config %q", id)
		case len(i.LoRAs) > 0 && o.Workflow == "":
			ps.warnf("loras", "default output %q has no workflow, so these LoRAs cannot apply to it", id)
		}
	}
	return ps.list
}

// inRange reports whether v is a finite number within lo..hi.
func inRange(v, lo, hi float64) bool {
	return !math.IsNaN(v) && v >= lo && v <= hi
}

// Summary returns the catalog entry of the config (GET /api/configs).
func (i *Interception) Summary() Summary {
	media := i.MediaPreferences.DefaultMedia
	if media == "" && len(i.MediaPreferences.SupportedTypes) > 0 {
		media = i.MediaPreferences.SupportedTypes[0]
	}
	if media == "" {
		media = "image"
	}
	return Summary{
		ID: i.ID, Kind: KindInterception,
		Name: i.Name, Description: i.Description, Category: i.Category,
		Icon: i.Display.Icon, Color: i.Display.Color, Order: i.Display.Order,
		Media: media, MinAge: i.Audience.MinAge, LoRAs: nonNil(i.LoRAs),
	}
}
