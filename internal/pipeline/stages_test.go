package pipeline

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// shape names each event by type and its key field, with repeated chunk
// and progress events collapsed into one, so a test can compare the order.
func shape(evs []api.Payload) []string {
	var out []string
	for _, e := range evs {
		var s string
		switch v := e.(type) {
		case api.RunEvent:
			s = "run " + string(v.State)
		case api.StageEvent:
			s = fmt.Sprintf("stage %d %s", v.Stage, v.Status)
		case api.ChunkEvent:
			s = fmt.Sprintf("chunk %d", v.Stage)
		case api.TextEvent:
			s = fmt.Sprintf("text %d", v.Stage)
		case api.ProgressEvent:
			s = fmt.Sprintf("progress %d", v.Stage)
		case api.ErrorEvent:
			s = "error " + string(v.Code)
		case api.SafetyEvent:
			s = fmt.Sprintf("safety %d %s", v.Stage, v.Verdict)
		case api.DoneEvent:
			s = "done " + string(v.State)
		default:
			s = string(e.EventType())
		}
		if n := len(out); n > 0 && out[n-1] == s && (s == "chunk 3" || s == "progress 4") {
			continue
		}
		out = append(out, s)
	}
	return out
}

func TestGenerationStageRecords(t *testing.T) {
	const text = "a garden at noon"
	cf := &fakeComfy{}
	p, db, hub := newPipelineWith(t, pipelineOptions{LLM: echoLLM(text), Images: &Images{Swarm: &fakeSwarm{}, Comfy: cf}, Files: true})
	run := startGen(t, p, Request{Text: text, Interception: "analog_photo_1970s", Seed: ptr[uint64](7)})
	evs := decodeEvents(t, waitDone(t, hub, run.ID))

	want := []string{"run queued", "run running", "stage 3 started", "chunk 3", "safety 3 safe", "text 3", "stage 3 done",
		"stage 4 started", "progress 4", "safety 4 safe", "media", "stage 4 done", "done done"}
	if got := shape(evs); !slices.Equal(got, want) {
		t.Fatalf("events\n got %q\nwant %q", got, want)
	}
	r := runOf(t, db, run.ID)
	if r.State != store.StateDone || r.FinishedAt == nil {
		t.Fatalf("run %s finished %v", r.State, r.FinishedAt)
	}
	s3 := stageOf(t, r, 3)
	if s3.Status != api.StageDone || s3.Text != text || s3.Model != "ollama/opt" || s3.Backend != "fake" {
		t.Fatalf("stage 3 %+v", s3)
	}
	s4 := stageOf(t, r, 4)
	prompt := text + ", kodachrome film photo"
	if s4.Status != api.StageDone || s4.Text != prompt || s4.Model != "OfficialStableDiffusion/sd3.5_large.safetensors" || s4.Backend != "comfyui" {
		t.Fatalf("stage 4 %+v", s4)
	}
	for _, s := range []store.StageResult{s3, s4} {
		if s.StartedAt.IsZero() || s.FinishedAt == nil || s.FinishedAt.Before(s.StartedAt) {
			t.Fatalf("stage %d timing %v .. %v", s.Stage, s.StartedAt, s.FinishedAt)
		}
	}
	d := detailOf(t, r)
	jobs, _ := cf.received()
	if d.Backend != "comfyui" || d.Path != pathSwarmWorkflow || d.Seed != 7 || d.PromptID != "prompt-1" ||
		len(d.LoRAs) != 1 || d.LoRAs[0].Name != "film_grain_1970s.safetensors" || d.LoRAs[0].Strength != 0.7 ||
		!slices.Equal(d.Triggers, []string{"kodachrome film photo"}) || len(jobs) != 1 || string(d.Workflow) != string(jobs[0].Graph) {
		t.Fatalf("stage 4 detail %+v", d)
	}
	if len(r.Media) != 1 || r.Media[0].Seed != 7 || r.Media[0].Mime != "image/png" || r.Media[0].Width != 8 || r.Media[0].Height != 6 {
		t.Fatalf("media %+v", r.Media)
	}
}

// blockUntilDone waits, after saying so on entered, until ctx ends.
func blockUntilDone(ctx context.Context, entered chan<- struct{}) error {
	entered <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

func TestUnfinishedStageIsClosedWithTheRunsEnd(t *testing.T) {
	cases := []struct {
		name   string
		llmErr error // stage 3 fails with this
		llmBlk bool  // stage 3 waits to be cancelled
		genErr error // stage 4 fails with this
		genBlk bool  // stage 4 waits to be cancelled
		state  store.State
		stages map[int]string // status of each stored stage
		tail   []string       // the last events
	}{
		{name: "stage 3 fails", llmErr: llm.ErrUnavailable, state: store.StateFailed,
			stages: map[int]string{3: "failed"}, tail: []string{"stage 3 started", "error llm_unavailable", "done failed"}},
		{name: "stage 3 cancelled", llmBlk: true, state: store.StateCancelled,
			stages: map[int]string{3: "cancelled"}, tail: []string{"stage 3 started", "error cancelled", "done cancelled"}},
		{name: "stage 4 fails", genErr: comfy.ErrUnavailable, state: store.StateFailed,
			stages: map[int]string{3: "done", 4: "failed"}, tail: []string{"stage 4 started", "error backend_unavailable", "done failed"}},
		{name: "stage 4 cancelled", genBlk: true, state: store.StateCancelled,
			stages: map[int]string{3: "done", 4: "cancelled"}, tail: []string{"stage 4 started", "error cancelled", "done cancelled"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			entered := make(chan struct{}, 1)
			l := &fakeLLM{chat: func(ctx context.Context, _ llm.Request, _ func(string) error) (string, error) {
				switch {
				case tc.llmErr != nil:
					return "", tc.llmErr
				case tc.llmBlk:
					return "", blockUntilDone(ctx, entered)
				}
				return "a fox", nil
			}}
			cf := &fakeComfy{generate: func(ctx context.Context, job comfy.Job) (*comfy.Result, error) {
				if tc.genBlk {
					return nil, blockUntilDone(ctx, entered)
				}
				return nil, tc.genErr
			}}
			p, db, hub := newPipelineWith(t, pipelineOptions{LLM: l, Images: &Images{Swarm: &fakeSwarm{}, Comfy: cf}, Files: true})
			run := startGen(t, p, Request{Text: "a fox", Output: "flux_dev"})
			if tc.llmBlk || tc.genBlk {
				select {
				case <-entered:
				case <-time.After(5 * time.Second):
					t.Fatal("the run never reached the blocking backend")
				}
				if err := p.Cancel(context.Background(), run.ID); err != nil {
					t.Fatal(err)
				}
			}
			got := shape(decodeEvents(t, waitDone(t, hub, run.ID)))
			if len(got) < len(tc.tail) || !slices.Equal(got[len(got)-len(tc.tail):], tc.tail) {
				t.Fatalf("events %q, want them to end %q", got, tc.tail)
			}
			r := waitFinal(t, db, run.ID)
			if r.State != tc.state || len(r.Media) != 0 {
				t.Fatalf("run %s with %d media, want %s and none", r.State, len(r.Media), tc.state)
			}
			if len(r.Stage) != len(tc.stages) {
				t.Fatalf("stages %+v, want %v", r.Stage, tc.stages)
			}
			for n, status := range tc.stages {
				if s := stageOf(t, r, n); s.Status != status || s.FinishedAt == nil {
					t.Fatalf("stage %d: %s finished %v, want %s", n, s.Status, s.FinishedAt, status)
				}
			}
		})
	}
}
