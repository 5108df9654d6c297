package export

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// Record is one line of runs.jsonl: a run with every revision of its
// texts, its verdicts, models, seed, LoRAs and media (docs/api.md,
// "Research export").
type Record struct {
	RunID string `json:"run_id"`
	// Device is the pseudonymous device id; Nickname what the student typed.
	Device     string     `json:"device"`
	Nickname   string     `json:"nickname"`
	Stages     string     `json:"stages"`
	Lang       string     `json:"lang"`
	State      string     `json:"state"`
	ErrorCode  string     `json:"error_code,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// SafetyLevel is the level the run ran at; Interception and Output
	// the config ids it used.
	SafetyLevel  string `json:"safety_level"`
	Interception string `json:"interception,omitempty"`
	Output       string `json:"output,omitempty"`
	// SourceRun is the interception run a generation run's text came from
	// (its request's source_run).
	SourceRun string `json:"source_run,omitempty"`
	// Revisions are the run's texts in the order they came about; with a
	// source run of the same device, its idea, rules and interception
	// come first, marked with its id.
	Revisions []Revision `json:"revisions"`
	// Edited says whether the student changed the source run's
	// interception before drawing it; absent without a source run.
	Edited *bool `json:"edited,omitempty"`
	// Verdicts are the safety verdicts of the stages that gave one.
	Verdicts []Verdict `json:"verdicts"`
	// Models are every model the run used (stage models and judges).
	Models []string `json:"models"`
	// Seed and LoRAs are those of the image stage (seed 0 without one).
	Seed  uint64          `json:"seed"`
	LoRAs json.RawMessage `json:"loras"`
	Media []MediaRecord   `json:"media"`
	// Input is the request as the server stored it; Results the stages'
	// whole records, with every check.
	Input   json.RawMessage `json:"input"`
	Results []StageRecord   `json:"results"`
}

// Revision is one text of a run. Step is one of: idea (the student's
// prompt), rules (the interception's instructions, the student's own or
// the config's), interception (stage 2's answer), student_text (what a
// generation run was asked to draw: the interception as the student left
// or edited it), translation (stage 3's English), optimized (stage 3's
// result, what the image stage drew from) and image_prompt (stage 4's
// prompt with LoRA triggers).
type Revision struct {
	Step string `json:"step"`
	Text string `json:"text"`
	// Run is the run the text belongs to when it is not this record's.
	Run string `json:"run,omitempty"`
}

// Verdict is one stage's safety verdict.
type Verdict struct {
	Stage   int    `json:"stage"`
	Verdict string `json:"verdict"`
}

// MediaRecord is one image of a run and its file in the archive.
type MediaRecord struct {
	MediaID string `json:"media_id"`
	File    string `json:"file"`
	Mime    string `json:"mime"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Size    int64  `json:"size"`
	Seed    uint64 `json:"seed"`
	SHA256  string `json:"sha256"`
}

// StageRecord is a stage's stored result.
type StageRecord struct {
	Stage      int             `json:"stage"`
	Name       string          `json:"name"`
	Status     string          `json:"status"`
	Text       string          `json:"text,omitempty"`
	Verdict    string          `json:"verdict,omitempty"`
	Model      string          `json:"model,omitempty"`
	Backend    string          `json:"backend,omitempty"`
	Detail     json.RawMessage `json:"detail,omitempty"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
}

// input is what the record reads of a run's stored request.
type input struct {
	Prompt       string `json:"prompt"`
	Text         string `json:"text"`
	Interception string `json:"interception"`
	Context      string `json:"context"`
	Output       string `json:"output"`
	SafetyLevel  string `json:"safety_level"`
	SourceRun    string `json:"source_run"`
}

// Details of the stages, as package pipeline stores them.
type (
	interceptionDetail struct {
		Context string `json:"context"`
	}
	optimizeDetail struct {
		Translation string `json:"translation"`
		Translated  bool   `json:"translated"`
	}
	generationDetail struct {
		Seed  uint64          `json:"seed"`
		LoRAs json.RawMessage `json:"loras"`
	}
	// judgedTexts finds the judge models in a safety stage's checks.
	judgedTexts struct {
		Texts []struct {
			Judge *struct {
				Model string `json:"model"`
			} `json:"judge"`
		} `json:"texts"`
	}
)

// newRecord builds the record of run r; nick maps client ids to nicknames.
func newRecord(r *store.Run, nick map[string]string) *Record {
	var in input
	_ = json.Unmarshal(r.Input, &in)
	rec := &Record{
		RunID: r.ID, Device: strings.TrimPrefix(r.ClientID, "d:"), Nickname: nick[r.ClientID],
		Stages: r.Stages, Lang: r.Lang, State: string(r.State), ErrorCode: r.ErrorCode,
		CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt,
		SafetyLevel: in.SafetyLevel, Interception: in.Interception, Output: in.Output, SourceRun: in.SourceRun,
		Revisions: []Revision{}, Verdicts: []Verdict{}, Models: []string{}, LoRAs: json.RawMessage("[]"),
		Media: []MediaRecord{}, Input: r.Input, Results: []StageRecord{},
	}
	if len(rec.Input) == 0 {
		rec.Input = json.RawMessage("{}")
	}
	add := func(step, text string) {
		if text != "" {
			rec.Revisions = append(rec.Revisions, Revision{Step: step, Text: text})
		}
	}
	model := func(m string) {
		if m != "" && !slices.Contains(rec.Models, m) {
			rec.Models = append(rec.Models, m)
		}
	}
	add("idea", in.Prompt)
	rules := in.Context
	stage := map[int]*store.StageResult{}
	for i := range r.Stage {
		s := &r.Stage[i]
		stage[s.Stage] = s
		rec.Results = append(rec.Results, StageRecord{Stage: s.Stage, Name: s.Name, Status: s.Status, Text: s.Text,
			Verdict: s.Verdict, Model: s.Model, Backend: s.Backend, Detail: s.Detail,
			StartedAt: s.StartedAt, FinishedAt: s.FinishedAt})
		if s.Verdict != "" {
			rec.Verdicts = append(rec.Verdicts, Verdict{s.Stage, s.Verdict})
		}
		model(s.Model)
		var j judgedTexts
		if json.Unmarshal(s.Detail, &j) == nil {
			for _, t := range j.Texts {
				if t.Judge != nil {
					model(t.Judge.Model)
				}
			}
		}
	}
	if s := stage[2]; s != nil {
		var d interceptionDetail
		if json.Unmarshal(s.Detail, &d) == nil && d.Context != "" {
			rules = d.Context
		}
	}
	add("rules", rules)
	if s := stage[2]; s != nil {
		add("interception", s.Text)
	}
	add("student_text", in.Text)
	if s := stage[3]; s != nil {
		var d optimizeDetail
		if json.Unmarshal(s.Detail, &d) == nil && d.Translated {
			add("translation", d.Translation)
		}
		add("optimized", s.Text)
	}
	if s := stage[4]; s != nil {
		add("image_prompt", s.Text)
		var d generationDetail
		if json.Unmarshal(s.Detail, &d) == nil {
			rec.Seed = d.Seed
			if len(d.LoRAs) > 0 && string(d.LoRAs) != "null" {
				rec.LoRAs = d.LoRAs
			}
		}
	}
	for i, m := range r.Media {
		rec.Media = append(rec.Media, MediaRecord{MediaID: m.ID, File: mediaName(r.ID, i, m.Mime), Mime: m.Mime,
			Width: m.Width, Height: m.Height, Size: m.Size, Seed: m.Seed, SHA256: m.Hash})
		if rec.Seed == 0 {
			rec.Seed = m.Seed
		}
	}
	return rec
}

// link puts the idea, rules and interception of src, the run the
// record's text came from, before the record's own revisions and says
// whether the student edited the interception.
func (rec *Record) link(src *store.Run) {
	from := newRecord(src, nil)
	var head []Revision
	interception := ""
	for _, r := range from.Revisions {
		switch r.Step {
		case "idea", "rules", "interception":
			r.Run = src.ID
			head = append(head, r)
			if r.Step == "interception" {
				interception = r.Text
			}
		}
	}
	if interception == "" {
		return
	}
	edited := strings.TrimSpace(rec.revision("student_text")) != strings.TrimSpace(interception)
	rec.Edited = &edited
	rec.Revisions = append(head, rec.Revisions...)
}

// blockedAt is the first stage whose verdict was blocked, 0 if none.
func (rec *Record) blockedAt() int {
	for _, v := range rec.Verdicts {
		if v.Verdict == "blocked" {
			return v.Stage
		}
	}
	return 0
}

// revision returns the text of step, "" if the run has none.
func (rec *Record) revision(step string) string {
	for _, r := range rec.Revisions {
		if r.Step == step {
			return r.Text
		}
	}
	return ""
}

// verdict returns stage n's verdict, "" if it gave none.
func (rec *Record) verdict(n int) string {
	for _, v := range rec.Verdicts {
		if v.Stage == n {
			return v.Verdict
		}
	}
	return ""
}

// loraNames are the names of the record's LoRAs with their strengths.
func (rec *Record) loraNames() string {
	var ls []struct {
		Name     string  `json:"name"`
		Strength float64 `json:"strength"`
	}
	_ = json.Unmarshal(rec.LoRAs, &ls)
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.Name + ":" + strconv.FormatFloat(l.Strength, 'g', -1, 64)
	}
	return strings.Join(parts, "; ")
}
