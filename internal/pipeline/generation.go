package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"strings"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/graph"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// generationRecord is what a run keeps about stage 4: enough to reproduce it.
type generationRecord struct {
	Output   string `json:"output"`
	Backend  string `json:"backend"`
	Machine  string `json:"machine,omitempty"` // the image machine it ran on
	Path     string `json:"path"`
	Reason   string `json:"reason"`
	Model    string `json:"model,omitempty"`
	Prompt   string `json:"prompt"`
	Negative string `json:"negative_prompt,omitempty"`
	// SafetyNegative are the level's terms appended to Negative.
	SafetyNegative []string         `json:"safety_negative,omitempty"`
	Seed           uint64           `json:"seed"`
	LoRAs          []catalog.LoRA   `json:"loras"`
	Triggers       []string         `json:"triggers,omitempty"`
	Injected       []graph.Injected `json:"injected,omitempty"`
	Workflow       json.RawMessage  `json:"workflow,omitempty"`
	PromptID       string           `json:"comfy_prompt_id,omitempty"`
	Uploads        []string         `json:"uploads,omitempty"`
	Files          []string         `json:"backend_files,omitempty"` // the names the backend gave its images
	// ImageCheck holds the vision model's verdict on each image (kids,
	// youth); a blocked image is recorded here by its hash only.
	ImageCheck []imageVerdict `json:"image_check,omitempty"`
}

// generation runs stages 3 and 4 from text.
func (x *execution) generation(text string) error {
	out, _ := x.p.cfg.Catalog.Output(x.req.Output)
	checked, err := x.optimize(out, text)
	if err != nil {
		return err
	}
	return x.generate(out, checked)
}

// loras merges the interception config's LoRAs with the request's; a request
// LoRA of the same name replaces the config's.
func (x *execution) loras() []catalog.LoRA {
	var out []catalog.LoRA
	if ic, ok := x.p.cfg.Catalog.Interception(x.req.Interception); ok {
		out = append(out, ic.LoRAs...)
	}
	at := make(map[string]int, len(out)+len(x.req.LoRAs))
	for i, l := range out {
		at[l.Name] = i
	}
	for _, l := range x.req.LoRAs {
		if i, ok := at[l.Name]; ok {
			out[i] = l
			continue
		}
		at[l.Name] = len(out)
		out = append(out, l)
	}
	return out
}

// withTriggers appends each LoRA's trigger phrase to the prompt once. The
// prompt is lower-cased once and the new parts appended to it, so the work
// grows with the text, not with LoRAs times text.
func withTriggers(prompt string, loras []catalog.LoRA) (string, []string) {
	var added []string
	lower := strings.ToLower(prompt)
	seen := make(map[string]bool, len(loras))
	for _, l := range loras {
		t := strings.TrimSpace(l.Trigger)
		lt := strings.ToLower(t)
		if t == "" || seen[lt] || strings.Contains(lower, lt) {
			continue
		}
		seen[lt] = true
		added = append(added, t)
	}
	if len(added) == 0 {
		return prompt, nil
	}
	return strings.TrimRight(prompt, " ,.") + ", " + strings.Join(added, ", "), added
}

// seed picks the run's seed: the request's, the output's, or a fresh one.
func (x *execution) seed(out *catalog.Output) uint64 {
	switch {
	case x.req.Seed != nil:
		return *x.req.Seed
	case !out.Parameters.Seed.Random && out.Parameters.Seed.Value != 0:
		return out.Parameters.Seed.Value
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	// 31 bits: valid for SwarmUI's int seeds and ComfyUI's uint64 alike.
	return uint64(binary.BigEndian.Uint32(b[:]) >> 1)
}

// generate runs stage 4 on the chosen path from a text that passed stage
// 3, checks the images (kids, youth) and stores those that passed.
func (x *execution) generate(out *catalog.Output, text screened) error {
	loras := x.loras()
	prompt, triggers := withTriggers(text.text, loras)
	negative, added := negativeFor(out.Parameters.NegativePrompt, x.level())
	rec := &generationRecord{
		Output: out.ID, Backend: out.Backend, Model: out.Model, Prompt: prompt, Negative: negative, SafetyNegative: added,
		Seed: x.seed(out), LoRAs: loras, Triggers: triggers, Uploads: x.req.Uploads,
	}
	if rec.LoRAs == nil {
		rec.LoRAs = []catalog.LoRA{}
	}
	rec.Path, rec.Reason = route(out, loras)
	x.p.log.Info("generation route", "run", x.run.ID, "output", out.ID, "path", rec.Path, "reason", rec.Reason)
	x.stageStart(4, "")
	imgs, err := x.generateOnPool(out, rec)
	if err != nil {
		x.recordGeneration(rec)
		return err
	}
	if len(imgs) == 0 {
		x.recordGeneration(rec)
		return fmt.Errorf("generation: the backend returned no image: %w", fault.ErrBackendGarbage)
	}
	if err := x.checkImages(imgs, rec); err != nil {
		x.recordGeneration(rec)
		if isBlocked(err) {
			x.stageDone(4, func(sr *store.StageResult) {
				sr.Verdict, sr.Text, sr.Model, sr.Backend = api.VerdictBlocked, prompt, out.Model, rec.Backend
				sr.Detail, _ = json.Marshal(rec)
			})
		}
		return err
	}
	stored, err := x.storeImages(imgs, rec)
	if err != nil {
		x.recordGeneration(rec)
		return err
	}
	x.recordGeneration(rec)
	for _, m := range stored {
		x.publish(api.MediaEvent{MediaID: m.ID, URL: "/api/media/" + m.ID, Mime: m.Mime,
			Width: m.Width, Height: m.Height, Seed: m.Seed, LoRAs: apiLoRAs(rec.LoRAs)})
	}
	x.stageDone(4, func(sr *store.StageResult) {
		sr.Text, sr.Model, sr.Backend = prompt, out.Model, rec.Backend
		sr.Detail, _ = json.Marshal(rec)
		if rec.ImageCheck != nil {
			sr.Verdict = api.VerdictSafe
		}
	})
	return nil
}

// generateOnPool routes the generation to an image machine, makes sure the
// machine runs (every waiting run sees the start of a stopped machine),
// waits for its slot and generates; nothing goes to a machine beyond its
// free slots. The slot is given back before the image check, whose vision
// call waits in the LLM queue. A generation that could not reach its
// machine, before any progress, is retried once on another machine.
func (x *execution) generateOnPool(out *catalog.Output, rec *generationRecord) ([]generatedImage, error) {
	pl := x.p.ImagePool()
	avoid := x.p.needsSwarm(rec.Path)
	for attempt := 0; ; attempt++ {
		ensureFailed := false
		s, err := x.acquireRouted(pl, out.Model, avoid, x.p.ImageQueue, "image machine", func(machine string) error {
			im := x.p.imageMachine(machine)
			ectx, ecancel := context.WithTimeout(x.ctx, im.timeout())
			defer ecancel()
			err := im.ensure(ectx, func(detail string) {
				x.publish(api.StageEvent{Stage: 4, Name: api.StageName(4), Status: api.StageStarted,
					Detail: x.msg("Das Bild-Backend wird gestartet...", "starting the image backend...")})
			})
			if err != nil {
				ensureFailed = true
				return fmt.Errorf("image backend: %w", err)
			}
			return nil
		})
		if err != nil {
			if ensureFailed && x.retryable(pl, attempt, avoid) {
				pl.Fail(s.call.Machine, "it could not be started or reached")
				x.p.log.Warn("image machine unavailable; retrying once on another machine", "run", x.run.ID, "machine", s.call.Machine, "err", err)
				avoid = append(avoid, s.call.Machine)
				continue
			}
			return nil, err
		}
		im := x.p.imageMachine(s.call.Machine)
		rec.Machine = im.machine()
		x.progressed.Store(false)
		ctx, cancel := context.WithTimeout(x.ctx, im.timeout())
		var imgs []generatedImage
		if rec.Path == pathSwarmT2I {
			imgs, err = x.viaSwarm(ctx, im, out, rec)
		} else {
			imgs, err = x.viaWorkflow(ctx, im, out, rec)
		}
		timedOut := ctx.Err() != nil && x.ctx.Err() == nil
		cancel()
		if err != nil && imageConnectFailure(err, x.progressed.Load(), rec) && !timedOut && x.ctx.Err() == nil {
			// The machine leaves the pool before its slot is given back.
			s.call.Abort()
			pl.Fail(im.machine(), "a generation could not reach it")
			s.release()
			if x.retryable(pl, attempt, avoid) {
				x.p.log.Warn("generation could not reach its machine; retrying once on another machine", "run", x.run.ID, "machine", im.machine(), "err", err)
				avoid = append(avoid, im.machine())
				rec.Files, rec.Backend = nil, out.Backend
				continue
			}
			return nil, err
		}
		s.release()
		s.call.Finish(err == nil && len(imgs) > 0, 0)
		if err != nil && timedOut {
			return nil, fmt.Errorf("generation with %s took longer than %s (AI4ARTSED_GENERATION_TIMEOUT): %w: %w", out.ID, im.timeout(), fault.ErrGenerationTimeout, err)
		}
		return imgs, err
	}
}

// recordGeneration stores what stage 4 sent, also when it failed.
func (x *execution) recordGeneration(rec *generationRecord) {
	detail, _ := json.Marshal(rec)
	x.mu.Lock()
	if sr := x.stages[4]; sr != nil {
		sr.Detail, sr.Model, sr.Backend, sr.Text = detail, rec.Model, rec.Backend, rec.Prompt
	}
	x.mu.Unlock()
}

// apiLoRAs converts LoRAs to their wire form.
func apiLoRAs(ls []catalog.LoRA) []api.LoRA {
	out := make([]api.LoRA, len(ls))
	for i, l := range ls {
		out[i] = api.LoRA{Name: l.Name, Strength: l.Strength, ClipStrength: l.ClipStrength, Trigger: l.Trigger}
	}
	return out
}

// Paths of stage 4.
const (
	pathSwarmT2I      = "swarmui_text2image"
	pathSwarmWorkflow = "swarmui_comfy_workflow"
	pathComfyWorkflow = "comfyui_workflow"
)

// route applies docs/generation.md ("Routing"): SwarmUI's text-to-image for a swarmui output
// without LoRAs, its ComfyUI backend with injected LoRA nodes when LoRAs
// apply and the output has a workflow, and the workflow for comfyui outputs.
func route(out *catalog.Output, loras []catalog.LoRA) (path, reason string) {
	switch {
	case out.Backend == "comfyui":
		return pathComfyWorkflow, "comfyui outputs always run their workflow"
	case len(loras) == 0:
		return pathSwarmT2I, "swarmui output without LoRAs"
	case out.Graph != nil:
		return pathSwarmWorkflow, fmt.Sprintf("%d LoRA(s) apply: running workflow %s on SwarmUI's ComfyUI backend with LoRA nodes injected", len(loras), out.Workflow)
	}
	return pathSwarmT2I, fmt.Sprintf("%d LoRA(s) apply but the output has no workflow: passing them as SwarmUI parameters", len(loras))
}
