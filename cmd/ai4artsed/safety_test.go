package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
)

// safetyOf returns the safety events of a run.
func safetyOf(t *testing.T, evs []sseEvent) []api.SafetyEvent {
	t.Helper()
	var out []api.SafetyEvent
	for _, e := range evs {
		if e.Type != string(api.EventSafety) {
			continue
		}
		p, err := e.Event.Decode()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.(api.SafetyEvent))
	}
	return out
}

// lastDone is the state of a run's done event.
func lastDone(t *testing.T, evs []sseEvent) string {
	t.Helper()
	last := evs[len(evs)-1]
	if last.Type != "done" {
		t.Fatalf("last event %s", last.Type)
	}
	return last.Data["state"].(string)
}

// TestSafetyFlowEndToEnd: an all run at the server's level youth passes
// stage 1, 3 and the image check, with a safety event after each, and the
// run's record keeps every verdict.
func TestSafetyFlowEndToEnd(t *testing.T) {
	env := newEnv(t, envOptions{})
	id := env.startRun(t, api.RunRequest{Stages: api.StagesAll, Prompt: "Ein roter Fahrradladen am Meer", Interception: "dada", Lang: "de"})
	evs := env.collect(t, id)
	if st := lastDone(t, evs); st != "done" {
		t.Fatalf("run ended %s: %v", st, types(evs))
	}
	var stages []int
	for _, s := range safetyOf(t, evs) {
		if s.Verdict != api.VerdictSafe || len(s.Checks) == 0 {
			t.Fatalf("safety event %+v", s)
		}
		stages = append(stages, s.Stage)
	}
	if !slices.Equal(stages, []int{1, 3, 4}) {
		t.Fatalf("safety events of stages %v, want 1 3 4", stages)
	}
	if len(mediaOf(t, evs)) != 1 {
		t.Fatal("no media event")
	}
	run, err := env.client("").Run(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	verdicts := map[int]string{}
	for _, r := range run.Results {
		verdicts[r.Stage] = r.Verdict
	}
	if verdicts[1] != "safe" || verdicts[3] != "safe" || verdicts[4] != "safe" || verdicts[2] != "" {
		t.Fatalf("stage verdicts %v", verdicts)
	}
	for _, r := range run.Results {
		if r.Stage == 3 && (!strings.Contains(string(r.Detail), `"translated":true`) || !strings.Contains(string(r.Detail), "llama-guard3")) {
			t.Fatalf("stage 3 record %s", r.Detail)
		}
	}
}

// TestJudgeShapesEndToEnd: at kids every prompt goes to the judge; each
// simulated answer shape is read, and a judge that cannot answer blocks.
func TestJudgeShapesEndToEnd(t *testing.T) {
	judges := []string{"judge-json", "judge-tags", "judge-think", "judge-garbage", "judge-slow"}
	cases := []struct {
		judge  string
		prompt string
		state  string
		code   api.Code
	}{
		{"llama-guard3:1b", "a red bicycle", "done", ""},
		{"llama-guard3:1b", "a bloody knife", "blocked", api.CodeBlocked},
		{"judge-json", "a red bicycle", "done", ""},
		{"judge-json", "a gun UNSAFE-TEST", "blocked", api.CodeBlocked},
		{"judge-tags", "a red bicycle", "done", ""},
		{"judge-tags", "a knife", "blocked", api.CodeBlocked},
		{"judge-think", "a red bicycle", "done", ""},
		{"judge-think", "blood everywhere", "blocked", api.CodeBlocked},
		{"judge-garbage", "a red bicycle", "blocked", api.CodeSafetyUnavailable},
		{"judge-slow", "a red bicycle", "blocked", api.CodeSafetyUnavailable},
		{"not-installed", "a red bicycle", "blocked", api.CodeSafetyUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.judge+"/"+tc.prompt, func(t *testing.T) {
			env := newEnv(t, envOptions{models: judges, slowDelay: 5 * time.Second, mutate: func(s *Settings) {
				s.ModelSafety, s.JudgeTimeout = "ollama/"+tc.judge, 300*time.Millisecond
			}})
			id := env.startRun(t, api.RunRequest{Stages: api.StagesInterception, Prompt: tc.prompt, Interception: "dada", SafetyLevel: "kids", Lang: "en"})
			evs := env.collect(t, id)
			if st := lastDone(t, evs); st != tc.state {
				t.Fatalf("run ended %s, want %s: %v", st, tc.state, types(evs))
			}
			se := safetyOf(t, evs)
			if len(se) == 0 || se[0].Stage != 1 || !slices.Contains(se[0].Checks, "judge") {
				t.Fatalf("safety events %+v", se)
			}
			if tc.state == "blocked" {
				if se[0].Verdict != api.VerdictBlocked || se[0].Reason == "" {
					t.Fatalf("safety event %+v", se[0])
				}
				errEv := evs[len(evs)-2]
				if errEv.Type != "error" || errEv.Data["code"] != string(tc.code) {
					t.Fatalf("error event %s %v, want %s", errEv.Type, errEv.Data, tc.code)
				}
			}
		})
	}
}

// TestBlockedImageCannotBeFetched: the judge passes the text, the vision
// model blocks its image: no media event, no media row, no file; the
// student gets a stage-4 safety event; the record keeps only the hash.
func TestBlockedImageCannotBeFetched(t *testing.T) {
	cases := []struct {
		name   string
		words  []string
		vision string
		code   api.Code
	}{
		{"unsafe verdict", []string{"lighthouse"}, "", api.CodeBlocked},
		{"vision model missing", nil, "ollama/no-such-vision:1b", api.CodeSafetyUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, envOptions{unsafeImageWords: tc.words, mutate: func(s *Settings) {
				if tc.vision != "" {
					s.ModelVision = tc.vision
				}
			}})
			id := env.startRun(t, api.RunRequest{Stages: api.StagesGeneration, Text: "a lighthouse at dusk", Output: "sd35_large", Lang: "en"})
			evs := env.collect(t, id)
			if st := lastDone(t, evs); st != "blocked" || slices.Contains(types(evs), "media") {
				t.Fatalf("run ended %s with media: %v", st, types(evs))
			}
			se := safetyOf(t, evs)
			last := se[len(se)-1]
			if last.Stage != 4 || last.Verdict != api.VerdictBlocked || strings.Contains(strings.ToLower(last.Reason), "lighthouse") {
				t.Fatalf("stage 4 safety event %+v", last)
			}
			if errEv := evs[len(evs)-2]; errEv.Data["code"] != string(tc.code) {
				t.Fatalf("error %v, want %s", errEv.Data, tc.code)
			}
			rec := generationRecord(t, env, id)
			checks, _ := rec["image_check"].([]any)
			if len(checks) != 1 {
				t.Fatalf("image check record %v", rec["image_check"])
			}
			hash := checks[0].(map[string]any)["sha256"].(string)
			run, err := env.client("").Run(context.Background(), id)
			if err != nil || len(run.Media) != 0 {
				t.Fatalf("run media %+v %v", run, err)
			}
			for _, path := range []string{"/api/media/" + hash, "/api/media/" + id} {
				resp, err := env.Server.Client().Get(env.Server.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusNotFound {
					t.Fatalf("GET %s: %d", path, resp.StatusCode)
				}
			}
			err = filepath.WalkDir(env.App.Settings.DataDir, func(p string, d os.DirEntry, err error) error {
				if err == nil && strings.Contains(d.Name(), hash[:16]) {
					t.Fatalf("blocked image stored at %s", p)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
