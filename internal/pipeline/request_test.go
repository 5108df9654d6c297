package pipeline

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// manyLoRAs returns n valid, distinct LoRAs.
func manyLoRAs(n int) []catalog.LoRA {
	out := make([]catalog.LoRA, n)
	for i := range out {
		out[i] = catalog.LoRA{Name: "style_" + strconv.Itoa(i) + ".safetensors", Strength: 0.5, Trigger: "style " + strconv.Itoa(i)}
	}
	return out
}

func TestRequestLimitsAreValidationErrors(t *testing.T) {
	cases := []struct {
		name  string
		req   Request
		field string
		says  string // part of the English message, if given
	}{
		{"seed above 2^53-1", Request{Stages: StagesGeneration, Text: "x", Output: "sd35_large", Seed: ptr[uint64](1 << 53)}, "seed", "from 0 to 9007199254740991"},
		{"largest uint64 seed", Request{Stages: StagesGeneration, Text: "x", Output: "flux_dev", Seed: ptr[uint64](1<<64 - 1)}, "seed", ""},
		{"9 LoRAs", Request{Stages: StagesGeneration, Text: "x", Output: "sd35_large", LoRAs: manyLoRAs(MaxLoRAs + 1)}, "loras", "At most 8 LoRAs are allowed, not 9"},
		{"5 uploads", Request{Stages: StagesGeneration, Text: "x", Output: "sd35_blend", Uploads: []string{"a1", "a2", "a3", "a4", "a5"}}, "uploads", "At most 4 images are allowed, not 5"},
		{"uploads on an interception run", Request{Stages: StagesInterception, Prompt: "x", Interception: "dada", Uploads: []string{"a1"}}, "uploads", "takes no images"},
		{"img2img without upload", Request{Stages: StagesGeneration, Text: "x", Output: "sd35_img2img"}, "uploads", "needs 1 to 1 input images, got 0"},
		{"img2img with 2 uploads", Request{Stages: StagesGeneration, Text: "x", Output: "sd35_img2img", Uploads: []string{"a1", "a2"}}, "uploads", "needs 1 to 1 input images, got 2"},
		{"blend with 1 upload", Request{Stages: StagesGeneration, Text: "x", Output: "sd35_blend", Uploads: []string{"a1"}}, "uploads", "needs 2 to 2 input images, got 1"},
		{"text-to-image with an upload", Request{Stages: StagesGeneration, Text: "x", Output: "sd35_large", Uploads: []string{"a1"}}, "uploads", "takes no input images"},
		{"upload id that is no id", Request{Stages: StagesGeneration, Text: "x", Output: "sd35_img2img", Uploads: []string{"../etc"}}, "uploads[0]", ""},
		{"LoRA name with a path", Request{Stages: StagesGeneration, Text: "x", Output: "sd35_large",
			LoRAs: []catalog.LoRA{{Name: "../x.safetensors", Strength: 1}}}, "loras[0]", ""},
		{"source run that is no id", Request{Stages: StagesGeneration, Text: "x", Output: "sd35_large", SourceRun: "../runs/x"}, "source_run", "not a run id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sw, cf := &fakeSwarm{}, &fakeComfy{}
			p, _, _ := newPipelineWith(t, pipelineOptions{LLM: echoLLM("y"), Images: &Images{Swarm: sw, Comfy: cf}, Files: true})
			run, err := p.Start(context.Background(), tc.req)
			var ve *fault.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Start = %v, %v; want a *fault.ValidationError", run, err)
			}
			if ve.Field != tc.field || ve.Msg.De == "" || ve.Msg.En == "" || ve.Msg.De == ve.Msg.En {
				t.Fatalf("field %q messages %+v; want field %q in German and English", ve.Field, ve.Msg, tc.field)
			}
			if !strings.Contains(ve.Msg.En, tc.says) {
				t.Fatalf("message %q does not say %q", ve.Msg.En, tc.says)
			}
			if d := fault.Describe(err, "en"); d.Code != api.CodeInvalidRequest || d.Field != tc.field || d.Message != ve.Msg.En {
				t.Fatalf("described as %+v", d)
			}
			jobs, ups := cf.received()
			if p.Active() != 0 || len(sw.requests()) != 0 || len(jobs) != 0 || len(ups) != 0 {
				t.Fatal("a refused request reached a backend or left a run")
			}
		})
	}
}

func TestLimitsAreInclusive(t *testing.T) {
	sw, cf := &fakeSwarm{}, &fakeComfy{}
	p, db, hub := newPipelineWith(t, pipelineOptions{LLM: echoLLM("y"), Images: &Images{Swarm: sw, Comfy: cf}, Files: true})
	run := startGen(t, p, Request{Text: "x", Output: "sd35_large", LoRAs: manyLoRAs(MaxLoRAs), Seed: ptr[uint64](MaxSeed)})
	waitDone(t, hub, run.ID)
	r := runOf(t, db, run.ID)
	if r.State != store.StateDone {
		t.Fatalf("run with %d LoRAs ended %s %s", MaxLoRAs, r.State, r.ErrorCode)
	}
	jobs, _ := cf.received()
	if len(jobs) != 1 || len(loraNodes(t, parseGraph(t, jobs[0].Graph))) != MaxLoRAs {
		t.Fatalf("comfy got %d jobs, want one with %d LoRA loaders", len(jobs), MaxLoRAs)
	}
	if d := detailOf(t, r); len(d.Triggers) != MaxLoRAs || d.Seed != MaxSeed {
		t.Fatalf("triggers %q seed %d", d.Triggers, d.Seed)
	}
}

func TestUnknownUploadIsRefusedAtStart(t *testing.T) {
	cf := &fakeComfy{}
	p, _, _ := newPipelineWith(t, pipelineOptions{LLM: echoLLM("y"), Images: &Images{Swarm: &fakeSwarm{}, Comfy: cf}, Files: true})
	_, err := p.Start(context.Background(), Request{Stages: StagesGeneration, Text: "x", Output: "sd35_img2img", Uploads: []string{"deadbeef"}})
	if !errors.Is(err, fault.ErrUnknownUpload) || fault.Code(err) != api.CodeUnknownUpload {
		t.Fatalf("Start = %v, want fault.ErrUnknownUpload", err)
	}
	if _, ups := cf.received(); p.Active() != 0 || len(ups) != 0 {
		t.Fatal("a refused run left a run or sent an upload")
	}
}

func TestSeedIsSentAndRecordedExactly(t *testing.T) {
	for _, seed := range []uint64{0, 42, 1<<31 - 1, 1 << 32, MaxSeed} {
		for _, output := range []string{"sd35_large", "flux_dev"} {
			t.Run(output+"/"+strconv.FormatUint(seed, 10), func(t *testing.T) {
				sw, cf := &fakeSwarm{}, &fakeComfy{}
				p, db, hub := newPipelineWith(t, pipelineOptions{LLM: echoLLM("y"), Images: &Images{Swarm: sw, Comfy: cf}, Files: true})
				run := startGen(t, p, Request{Text: "x", Output: output, Seed: &seed})
				evs := decodeEvents(t, waitDone(t, hub, run.ID))
				r := runOf(t, db, run.ID)
				if r.State != store.StateDone || len(r.Media) != 1 {
					t.Fatalf("run ended %s %s with %d media", r.State, r.ErrorCode, len(r.Media))
				}
				if output == "sd35_large" {
					if reqs := sw.requests(); len(reqs) != 1 || reqs[0].Seed != int64(seed) {
						t.Fatalf("swarm received %+v, want seed %d", reqs, seed)
					}
				} else {
					jobs, _ := cf.received()
					if len(jobs) != 1 {
						t.Fatalf("comfy got %d jobs", len(jobs))
					}
					if got := input(t, parseGraph(t, jobs[0].Graph), "Noise", "noise_seed"); got != strconv.FormatUint(seed, 10) {
						t.Fatalf("workflow seed %s, want %d", got, seed)
					}
				}
				if d := detailOf(t, r); d.Seed != seed {
					t.Fatalf("recorded seed %d, want %d", d.Seed, seed)
				}
				if !strings.Contains(string(stageOf(t, r, 4).Detail), `"seed":`+strconv.FormatUint(seed, 10)+",") {
					t.Fatalf("stored detail does not hold the seed as an exact integer: %s", stageOf(t, r, 4).Detail)
				}
				var media []api.MediaEvent
				for _, e := range evs {
					if m, ok := e.(api.MediaEvent); ok {
						media = append(media, m)
					}
				}
				if len(media) != 1 || media[0].Seed != r.Media[0].Seed || r.Media[0].Seed != seed || media[0].MediaID != r.Media[0].ID {
					t.Fatalf("media event %+v, stored %+v, want seed %d", media, r.Media, seed)
				}
			})
		}
	}
}
