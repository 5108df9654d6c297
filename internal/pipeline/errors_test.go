package pipeline

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/supervisor"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// secret stands for upstream content that must never reach a student.
const secret = "Bearer secret123"

// leaky wraps err in a message that carries the secret, as an upstream
// error body might.
func leaky(err error) error { return fmt.Errorf("upstream answered %q: %w", secret, err) }

// failingImages returns image backends whose fakes fail as the fields say;
// nil fields succeed.
type failingImages struct {
	swarm   func(ctx context.Context) ([]swarm.Image, error)
	comfy   func(ctx context.Context) (*comfy.Result, error)
	upload  error
	starter error
	timeout time.Duration
}

func (f failingImages) images() *Images {
	im := &Images{Swarm: &fakeSwarm{}, Comfy: &fakeComfy{}, Starter: &fakeStarter{}, Timeout: f.timeout}
	if f.swarm != nil {
		im.Swarm = &fakeSwarm{generate: func(ctx context.Context, _ swarm.T2IRequest) ([]swarm.Image, error) { return f.swarm(ctx) }}
	}
	cf := &fakeComfy{}
	if f.comfy != nil {
		cf.generate = func(ctx context.Context, _ comfy.Job) (*comfy.Result, error) { return f.comfy(ctx) }
	}
	if f.upload != nil {
		cf.upload = func(context.Context, string, []byte) (string, error) { return "", f.upload }
	}
	im.Comfy = cf
	if f.starter != nil {
		im.Starter = &fakeStarter{ensure: func(context.Context, func(string)) error { return f.starter }}
	}
	return im
}

func swarmErr(err error) func(context.Context) ([]swarm.Image, error) {
	return func(context.Context) ([]swarm.Image, error) { return nil, leaky(err) }
}

func comfyErr(err error) func(context.Context) (*comfy.Result, error) {
	return func(context.Context) (*comfy.Result, error) { return nil, err }
}

func TestBackendErrorsFailTheRunWithTheTablesMessage(t *testing.T) {
	rejected := &comfy.PromptError{Type: "invalid_prompt", Message: secret,
		Nodes: []comfy.NodeError{{NodeID: "1", ClassType: "UNETLoader", InputName: "unet_name", Message: secret, Value: secret}}}
	cases := []struct {
		name   string
		output string
		fail   failingImages
		code   api.Code
	}{
		{"comfy unavailable", "flux_dev", failingImages{comfy: comfyErr(leaky(comfy.ErrUnavailable))}, api.CodeBackendUnavailable},
		{"comfy timeout", "flux_dev", failingImages{comfy: comfyErr(leaky(comfy.ErrTimeout))}, api.CodeGenerationTimeout},
		{"comfy no images", "flux_dev", failingImages{comfy: comfyErr(leaky(comfy.ErrNoImages))}, api.CodeBackendBadResponse},
		{"comfy bad response", "flux_dev", failingImages{comfy: comfyErr(leaky(comfy.ErrBadResponse))}, api.CodeBackendBadResponse},
		{"comfy rejects the workflow", "flux_dev", failingImages{comfy: comfyErr(rejected)}, api.CodeWorkflowRejected},
		{"comfy refuses an upload", "sd35_img2img", failingImages{upload: leaky(comfy.ErrUnavailable)}, api.CodeBackendUnavailable},
		{"swarm unavailable", "sd35_large", failingImages{swarm: swarmErr(swarm.ErrUnavailable)}, api.CodeBackendUnavailable},
		{"swarm generation failed", "sd35_large", failingImages{swarm: swarmErr(swarm.ErrGenerationFailed)}, api.CodeGenerationFailed},
		{"swarm answers no image", "sd35_large", failingImages{swarm: func(context.Context) ([]swarm.Image, error) { return nil, nil }}, api.CodeBackendBadResponse},
		{"swarm answers no picture", "sd35_large", failingImages{swarm: func(context.Context) ([]swarm.Image, error) {
			return []swarm.Image{{Path: "View/x.png", Data: []byte("<html>" + secret + "</html>")}}, nil
		}}, api.CodeBackendBadResponse},
		{"backend not running", "sd35_large", failingImages{starter: leaky(supervisor.ErrNotRunning)}, api.CodeBackendUnavailable},
		{"generation deadline", "flux_dev", failingImages{timeout: 50 * time.Millisecond, comfy: func(ctx context.Context) (*comfy.Result, error) {
			<-ctx.Done()
			return nil, leaky(ctx.Err())
		}}, api.CodeGenerationTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, db, hub := newPipelineWith(t, pipelineOptions{LLM: echoLLM("a fox"), Images: tc.fail.images(), Files: true})
			req := Request{Text: "a fox", Output: tc.output}
			if tc.output == "sd35_img2img" {
				id, _ := putUpload(t, p, testPNG(4, 4))
				req.Uploads = []string{id}
			}
			run := startGen(t, p, req)
			stored := waitDone(t, hub, run.ID)
			evs := decodeEvents(t, stored)
			want := fault.Message(tc.code, "de")
			errEv, ok := evs[len(evs)-2].(api.ErrorEvent)
			if !ok || errEv.Code != tc.code || errEv.Message != want {
				t.Fatalf("error event %+v, want %s %q", evs[len(evs)-2], tc.code, want)
			}
			for _, e := range stored {
				if strings.Contains(string(e.Data), "secret123") {
					t.Fatalf("event %s carries upstream text: %s", e.Type, e.Data)
				}
			}
			r := runOf(t, db, run.ID)
			if r.State != store.StateFailed || r.ErrorCode != string(tc.code) || r.ErrorMessage != want {
				t.Fatalf("run %s %s %q, want failed %s %q", r.State, r.ErrorCode, r.ErrorMessage, tc.code, want)
			}
			if len(r.Media) != 0 {
				t.Fatalf("a failed run stored media: %+v", r.Media)
			}
			if s := stageOf(t, r, 4); s.Status != api.StageFailed {
				t.Fatalf("stage 4 %s, want failed", s.Status)
			}
		})
	}
}

func TestMessagesAreInTheRunsLanguage(t *testing.T) {
	for _, lang := range []string{"de", "en"} {
		t.Run(lang, func(t *testing.T) {
			im := failingImages{comfy: comfyErr(leaky(comfy.ErrTimeout))}.images()
			im.Starter = &fakeStarter{ensure: func(_ context.Context, onStarting func(string)) error {
				onStarting("starting SwarmUI")
				return nil
			}}
			p, db, hub := newPipelineWith(t, pipelineOptions{LLM: echoLLM("a fox"), Images: im, Files: true})
			run := startGen(t, p, Request{Text: "a fox", Output: "flux_dev", Lang: lang})
			evs := decodeEvents(t, waitDone(t, hub, run.ID))
			msg := func(de, en string) string { return fault.T(de, en).Get(lang) }
			wantDetail := map[int][]string{
				3: {""},
				4: {"", msg("Das Bild-Backend wird gestartet...", "starting the image backend...")},
			}
			gotDetail := map[int][]string{}
			var errEv *api.ErrorEvent
			for _, e := range evs {
				switch v := e.(type) {
				case api.StageEvent:
					if v.Status == api.StageStarted {
						gotDetail[v.Stage] = append(gotDetail[v.Stage], v.Detail)
					}
				case api.ErrorEvent:
					errEv = &v
				}
			}
			for n, want := range wantDetail {
				if strings.Join(gotDetail[n], "|") != strings.Join(want, "|") {
					t.Fatalf("stage %d details %q, want %q", n, gotDetail[n], want)
				}
			}
			want := fault.Message(api.CodeGenerationTimeout, lang)
			if errEv == nil || errEv.Message != want {
				t.Fatalf("error event %+v, want %q", errEv, want)
			}
			if r := runOf(t, db, run.ID); r.Lang != lang || r.ErrorMessage != want {
				t.Fatalf("stored run lang %s message %q, want %s %q", r.Lang, r.ErrorMessage, lang, want)
			}
		})
	}
}
