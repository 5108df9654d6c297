package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/safety"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// TestNoPathToStageFourSkipsStageThree walks every way a run reaches stage
// 4 (a generation run and an all run; an output with and without an
// optimisation instruction; each level) and asserts that stage 3's checks
// ran on what was drawn, and the image check where the level needs it.
func TestNoPathToStageFourSkipsStageThree(t *testing.T) {
	dir := plainOutputDir(t)
	for _, stages := range []string{StagesGeneration, StagesAll} {
		for _, output := range []string{"sd35_large", "plain"} {
			for _, level := range safety.Levels {
				t.Run(stages+"/"+output+"/"+string(level), func(t *testing.T) {
					l, f, sw := &safetyLLM{}, &fakeFilter{}, &fakeSwarm{}
					p, db, hub := newPipelineWith(t, pipelineOptions{LLM: l, RawLLM: true, Filter: f, Level: level, ConfigDir: dir,
						Images: &Images{Swarm: sw, Comfy: &fakeComfy{}}, Files: true})
					req := Request{Stages: stages, Output: output, Interception: "dada"}
					if stages == StagesAll {
						req.Prompt = "ein Hund im Schnee"
					} else {
						req.Text = "ein Hund im Schnee"
					}
					run, err := p.Start(context.Background(), req)
					if err != nil {
						t.Fatal(err)
					}
					evs := decodeEvents(t, waitDone(t, hub, run.ID))
					r := runOf(t, db, run.ID)
					if r.State != store.StateDone || len(r.Media) != 1 || len(sw.requests()) != 1 {
						t.Fatalf("run %s %s with %d media", r.State, r.ErrorCode, len(r.Media))
					}
					var rec optimizeRecord
					stageDetail(t, r, 3, &rec)
					fields := []string{}
					for _, tc := range rec.Texts {
						fields = append(fields, tc.Field)
					}
					wantFields := []string{"text", "translation"}
					if output == "sd35_large" {
						wantFields = append(wantFields, "optimized")
					}
					if !slices.Equal(fields, wantFields) || rec.Input != "ein Hund im Schnee" || !rec.Translated || rec.Verdict != api.VerdictSafe {
						t.Fatalf("stage 3 record %+v, want checks of %v", rec, wantFields)
					}
					if !slices.Contains(f.checked(), "ein Hund im Schnee") {
						t.Fatalf("the filter never saw the text drawn: %q", f.checked())
					}
					closed := level == safety.Kids || level == safety.Youth
					judgedTranslation := false
					for _, c := range l.callsTo(testModels.Safety) {
						judgedTranslation = judgedTranslation || strings.Contains(c.User, "ein Hund im Schnee")
					}
					if judgedTranslation != closed {
						t.Fatalf("judge on the translation: %v, want %v", judgedTranslation, closed)
					}
					if n := len(l.callsTo(testModels.Vision)); n != btoi(closed) {
						t.Fatalf("%d image checks, want %d", n, btoi(closed))
					}
					var stages3 []int
					for _, e := range safetyEvents(evs) {
						stages3 = append(stages3, e.Stage)
					}
					want := []int{3}
					if stages == StagesAll {
						want = []int{1, 3}
					}
					if closed {
						want = append(want, 4)
					}
					if !slices.Equal(stages3, want) {
						t.Fatalf("safety events of stages %v, want %v", stages3, want)
					}
					neg := sw.requests()[0].NegativePrompt
					if strings.Contains(neg, "gore") != closed {
						t.Fatalf("negative prompt %q at %s", neg, level)
					}
				})
			}
		}
	}
}

func TestStageThreeBlocks(t *testing.T) {
	cases := []struct {
		name     string
		req      Request
		optimize func(string) string
		field    string
	}{
		{name: "a generation run with a forbidden text", req: Request{Stages: StagesGeneration, Text: "a FORBIDDEN flag"}, field: "text"},
		{name: "a forbidden optimisation result", req: Request{Stages: StagesGeneration, Text: "a flag"},
			optimize: func(string) string { return "a FORBIDDEN flag, oil painting" }, field: "optimized"},
		{name: "a translation the judge finds unsafe", req: Request{Stages: StagesGeneration, Text: "ein Bild UNSAFE-TEST"}, field: "translation"},
		{name: "a request LoRA's trigger phrase", req: Request{Stages: StagesGeneration, Text: "a flag",
			LoRAs: []catalog.LoRA{{Name: "x.safetensors", Strength: 1, Trigger: "FORBIDDEN banner"}}}, field: "lora_triggers"},
		{name: "an all run whose interception turns unsafe", req: Request{Stages: StagesAll, Prompt: "a picture", Interception: "dada"},
			optimize: func(string) string { return "a FORBIDDEN picture" }, field: "optimized"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, sw, cf := &safetyLLM{optimize: tc.optimize}, &fakeSwarm{}, &fakeComfy{}
			p, db, hub := newPipelineWith(t, pipelineOptions{LLM: l, RawLLM: true, Filter: &fakeFilter{},
				Images: &Images{Swarm: sw, Comfy: cf}, Files: true})
			tc.req.Output = "sd35_large"
			run, err := p.Start(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			evs := decodeEvents(t, waitDone(t, hub, run.ID))
			r := runOf(t, db, run.ID)
			jobs, _ := cf.received()
			if r.State != store.StateBlocked || r.ErrorCode != string(api.CodeBlocked) || len(sw.requests())+len(jobs) != 0 {
				t.Fatalf("run %s %s; image backends got %d requests", r.State, r.ErrorCode, len(sw.requests())+len(jobs))
			}
			var rec optimizeRecord
			stageDetail(t, r, 3, &rec)
			last := rec.Texts[len(rec.Texts)-1]
			if last.Field != tc.field || !last.Blocked || rec.Verdict != api.VerdictBlocked || stageOf(t, r, 3).Verdict != api.VerdictBlocked {
				t.Fatalf("stage 3 record %+v", rec)
			}
			for _, sr := range r.Stage {
				if sr.Stage == 4 {
					t.Fatal("stage 4 started after a stage-3 block")
				}
			}
			if se := safetyEvents(evs); se[len(se)-1].Stage != 3 || se[len(se)-1].Verdict != api.VerdictBlocked {
				t.Fatalf("safety events %+v", se)
			}
		})
	}
}

func TestImageCheck(t *testing.T) {
	img := testPNG(8, 6)
	sum := sha256.Sum256(img)
	hash := hex.EncodeToString(sum[:])
	cases := []struct {
		name   string
		level  safety.Level
		vision func() (string, error)
		state  store.State
		code   api.Code
	}{
		{"unsafe verdict blocks", safety.Kids, func() (string, error) { return "UNSAFE\nsexual", nil }, store.StateBlocked, api.CodeBlocked},
		{"vision model error blocks", safety.Youth, func() (string, error) { return "", llm.ErrUnavailable }, store.StateBlocked, api.CodeSafetyUnavailable},
		{"unreadable answer blocks", safety.Youth, func() (string, error) { return "a nice picture", nil }, store.StateBlocked, api.CodeSafetyUnavailable},
		{"safe verdict stores", safety.Youth, nil, store.StateDone, ""},
		{"adult has no image check", safety.Adult, func() (string, error) { return "", errors.New("must not be called") }, store.StateDone, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := &safetyLLM{vision: tc.vision}
			p, db, hub := newPipelineWith(t, pipelineOptions{LLM: l, RawLLM: true, Filter: &fakeFilter{}, Level: tc.level,
				Images: &Images{Swarm: &fakeSwarm{}, Comfy: &fakeComfy{}}, Files: true})
			run := startGen(t, p, Request{Text: "a calm lake", Output: "sd35_large"})
			evs := decodeEvents(t, waitDone(t, hub, run.ID))
			r := runOf(t, db, run.ID)
			if r.State != tc.state || api.Code(r.ErrorCode) != tc.code {
				t.Fatalf("run %s %s, want %s %s", r.State, r.ErrorCode, tc.state, tc.code)
			}
			var d struct {
				ImageCheck []imageVerdict `json:"image_check"`
			}
			stageDetail(t, r, 4, &d)
			f, statErr := p.cfg.Files.Open(context.Background(), hash, ".png")
			if statErr == nil {
				f.Close()
			}
			if tc.state == store.StateDone {
				if len(r.Media) != 1 || statErr != nil {
					t.Fatalf("a passed image was not stored: %d media, %v", len(r.Media), statErr)
				}
				return
			}
			// A blocked image: no media row, no file, no media event; its
			// hash and verdict are in the stage record.
			if len(r.Media) != 0 || !errors.Is(statErr, fs.ErrNotExist) {
				t.Fatalf("blocked image stored: %d media rows, file %v", len(r.Media), statErr)
			}
			for _, e := range evs {
				if _, ok := e.(api.MediaEvent); ok {
					t.Fatal("media event for a blocked image")
				}
			}
			if len(d.ImageCheck) != 1 || d.ImageCheck[0].SHA256 != hash || d.ImageCheck[0].Verdict != api.VerdictBlocked ||
				d.ImageCheck[0].Judge.Model != testModels.Vision || stageOf(t, r, 4).Verdict != api.VerdictBlocked {
				t.Fatalf("stage 4 image check %+v", d.ImageCheck)
			}
			se := safetyEvents(evs)
			last := se[len(se)-1]
			if last.Stage != 4 || last.Verdict != api.VerdictBlocked || !slices.Equal(last.Checks, []string{"vision"}) || last.Reason == "" || last.Suggestion != "" {
				t.Fatalf("stage 4 safety event %+v", last)
			}
		})
	}
}
