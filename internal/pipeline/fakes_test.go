package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// fakeSwarm is a SwarmAPI and SwarmStreamer whose behaviour is its
// function fields; it records every request it received. A nil generate
// answers one small PNG; a nil stream answers as GenerateText2Image does,
// without progress.
type fakeSwarm struct {
	generate func(ctx context.Context, req swarm.T2IRequest) ([]swarm.Image, error)
	stream   func(ctx context.Context, req swarm.T2IRequest, onProgress func(swarm.Progress)) ([]swarm.Image, error)

	mu   sync.Mutex
	reqs []swarm.T2IRequest
}

func (f *fakeSwarm) GenerateText2Image(ctx context.Context, req swarm.T2IRequest) ([]swarm.Image, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	if f.generate == nil {
		return []swarm.Image{{Path: "View/local/raw/out-1.png", Mime: "image/png", Data: testPNG(8, 6)}}, nil
	}
	return f.generate(ctx, req)
}

func (f *fakeSwarm) GenerateText2ImageWS(ctx context.Context, req swarm.T2IRequest, onProgress func(swarm.Progress)) ([]swarm.Image, error) {
	if f.stream == nil {
		return f.GenerateText2Image(ctx, req)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	return f.stream(ctx, req, onProgress)
}

// requests returns a copy of what the fake received.
func (f *fakeSwarm) requests() []swarm.T2IRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]swarm.T2IRequest(nil), f.reqs...)
}

// uploadCall is one ComfyAPI.UploadImage call as fakeComfy received it.
type uploadCall struct {
	Name string
	Data []byte
}

// fakeComfy is a ComfyAPI whose behaviour is its function fields; it
// records the jobs and uploads it received. A nil generate queues the
// prompt as "prompt-1", reports two progress steps and answers one PNG; a
// nil upload answers "uploaded_<n>.png".
type fakeComfy struct {
	generate func(ctx context.Context, job comfy.Job) (*comfy.Result, error)
	upload   func(ctx context.Context, name string, data []byte) (string, error)

	mu      sync.Mutex
	jobs    []comfy.Job
	uploads []uploadCall
}

func (f *fakeComfy) Generate(ctx context.Context, job comfy.Job) (*comfy.Result, error) {
	f.mu.Lock()
	f.jobs = append(f.jobs, job)
	f.mu.Unlock()
	if f.generate == nil {
		return comfyOK(job), nil
	}
	return f.generate(ctx, job)
}

func (f *fakeComfy) UploadImage(ctx context.Context, name string, data []byte) (string, error) {
	f.mu.Lock()
	f.uploads = append(f.uploads, uploadCall{Name: name, Data: append([]byte(nil), data...)})
	n := len(f.uploads)
	f.mu.Unlock()
	if f.upload == nil {
		return "uploaded_" + strconv.Itoa(n) + ".png", nil
	}
	return f.upload(ctx, name, data)
}

// received returns copies of the jobs and uploads the fake received.
func (f *fakeComfy) received() ([]comfy.Job, []uploadCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]comfy.Job(nil), f.jobs...), append([]uploadCall(nil), f.uploads...)
}

// comfyOK plays a successful ComfyUI prompt: queued, two steps, one image.
func comfyOK(job comfy.Job) *comfy.Result {
	if job.OnQueued != nil {
		job.OnQueued("prompt-1")
	}
	if job.OnProgress != nil {
		job.OnProgress(comfy.Progress{Value: 1, Max: 2})
		job.OnProgress(comfy.Progress{Value: 2, Max: 2})
	}
	return &comfy.Result{PromptID: "prompt-1", Images: []comfy.Image{
		{Filename: "ai4artsed_00001_.png", Type: "output", Mime: "image/png", Data: testPNG(8, 6)},
	}}
}

// fakeStarter is a Starter whose behaviour is its function field; nil: the
// backend is up.
type fakeStarter struct {
	ensure func(ctx context.Context, onStarting func(string)) error
}

func (f *fakeStarter) Ensure(ctx context.Context, onStarting func(string)) error {
	if f.ensure == nil {
		return nil
	}
	return f.ensure(ctx, onStarting)
}

// echoLLM answers every chat with text, streamed in two chunks (fn may be
// nil, as with the real clients).
func echoLLM(text string) *fakeLLM {
	return &fakeLLM{chat: func(_ context.Context, _ llm.Request, fn func(string) error) (string, error) {
		if fn == nil {
			return text, nil
		}
		half := len(text) / 2
		if err := fn(text[:half]); err != nil {
			return "", err
		}
		if err := fn(text[half:]); err != nil {
			return "", err
		}
		return text, nil
	}}
}

// testPNG encodes a w×h image; distinct sizes give distinct bytes.
func testPNG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 30), uint8(y * 30), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// decodeEvents turns stored events into their typed payloads.
func decodeEvents(t *testing.T, evs []store.Event) []api.Payload {
	t.Helper()
	out := make([]api.Payload, 0, len(evs))
	for _, e := range evs {
		p, err := api.Event{Type: api.EventType(e.Type), Data: e.Data}.Decode()
		if err != nil {
			t.Fatalf("event %d: %v", e.Seq, err)
		}
		out = append(out, p)
	}
	return out
}

// genDetail is the part of stage 4's Detail record the tests read.
type genDetail struct {
	Output   string          `json:"output"`
	Backend  string          `json:"backend"`
	Path     string          `json:"path"`
	Reason   string          `json:"reason"`
	Prompt   string          `json:"prompt"`
	Seed     uint64          `json:"seed"`
	LoRAs    []api.LoRA      `json:"loras"`
	Triggers []string        `json:"triggers"`
	Workflow json.RawMessage `json:"workflow"`
	PromptID string          `json:"comfy_prompt_id"`
	Uploads  []string        `json:"uploads"`
	Machine  string          `json:"machine"`
}

// stageOf returns stage n of a stored run.
func stageOf(t *testing.T, r *store.Run, n int) store.StageResult {
	t.Helper()
	for _, sr := range r.Stage {
		if sr.Stage == n {
			return sr
		}
	}
	t.Fatalf("run %s has no stage %d: %+v", r.ID, n, r.Stage)
	return store.StageResult{}
}

// detailOf decodes stage 4's Detail of a stored run.
func detailOf(t *testing.T, r *store.Run) genDetail {
	t.Helper()
	var d genDetail
	if err := json.Unmarshal(stageOf(t, r, 4).Detail, &d); err != nil {
		t.Fatalf("stage 4 detail: %v", err)
	}
	return d
}

// wfNode is one node of an API-format workflow as a fake received it.
type wfNode struct {
	ClassType string                     `json:"class_type"`
	Inputs    map[string]json.RawMessage `json:"inputs"`
	Meta      struct {
		Title string `json:"title"`
	} `json:"_meta"`
}

// parseGraph decodes a workflow graph.
func parseGraph(t *testing.T, raw json.RawMessage) map[string]wfNode {
	t.Helper()
	var g map[string]wfNode
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("graph: %v", err)
	}
	return g
}

// input returns the raw JSON of one input of the node titled title.
func input(t *testing.T, g map[string]wfNode, title, field string) string {
	t.Helper()
	for _, n := range g {
		if n.Meta.Title == title {
			return strings.TrimSpace(string(n.Inputs[field]))
		}
	}
	t.Fatalf("no node titled %q in the graph", title)
	return ""
}

// startGen starts a generation run and fails the test if Start refuses it.
func startGen(t *testing.T, p *Pipeline, req Request) *store.Run {
	t.Helper()
	req.Stages = StagesGeneration
	run, err := p.Start(context.Background(), req)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return run
}

// runOf reads a stored run.
func runOf(t *testing.T, db store.Store, id string) *store.Run {
	t.Helper()
	r, err := db.GetRun(context.Background(), id)
	if err != nil {
		t.Fatalf("get run: %v", err)
	}
	return r
}
