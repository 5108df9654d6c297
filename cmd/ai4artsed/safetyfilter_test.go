package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/ai4artsed/ai4artsed/api"
)

// TestRealFilterBlocksThroughTheServer runs the catalog's compiled term
// filter end to end: each case's text is caught where it was written
// (stage 1 for the prompt and the rules, stage 3 for a generation run's
// text), the run ends blocked with a safety event that names the checks,
// and nothing reached the image backend.
func TestRealFilterBlocksThroughTheServer(t *testing.T) {
	env := newEnv(t, envOptions{})
	cases := []struct {
		name  string
		req   api.RunRequest
		stage int
		check string
	}{
		{"a §86a term with spaced letters in the prompt", api.RunRequest{Stages: api.StagesInterception, Interception: "dada",
			Prompt: "ein Plakat mit h i t l e r drauf", Lang: "de"}, 1, "filter_86a"},
		{"a §86a compound in the rules", api.RunRequest{Stages: api.StagesInterception, Interception: "user_defined",
			Context: "Mal immer eine Hakenkreuzfahne dazu", Prompt: "ein Haus am See", Lang: "de"}, 1, "filter_86a"},
		{"personal data in the prompt", api.RunRequest{Stages: api.StagesInterception, Interception: "dada",
			Prompt: "schreib an max.mustermann@example.org", Lang: "de"}, 1, "filter_personal_data"},
		{"a forbidden text in a generation run", api.RunRequest{Stages: api.StagesGeneration, Output: "sd35_large",
			Text: "a flag with a sw@stika", Lang: "en"}, 3, "filter_86a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(env.Swarm.Comfy().Prompts())
			evs := env.collect(t, env.startRun(t, tc.req))
			if st := lastDone(t, evs); st != string(api.StateBlocked) {
				t.Fatalf("run ended %s: %v", st, types(evs))
			}
			var blocked *api.SafetyEvent
			for _, s := range safetyOf(t, evs) {
				if s.Verdict == api.VerdictBlocked {
					blocked = &s
				}
			}
			if blocked == nil || blocked.Stage != tc.stage || !slices.Contains(blocked.Checks, tc.check) || blocked.Reason == "" {
				t.Fatalf("blocking safety event %+v, want stage %d with %s and a reason", blocked, tc.stage, tc.check)
			}
			for _, term := range blocked.Terms {
				if strings.Contains(strings.ToLower(term), "hitler") || strings.Contains(strings.ToLower(term), "hakenkreuz") {
					t.Fatalf("a forbidden term is repeated back to the student: %v", blocked.Terms)
				}
			}
			if slices.Contains(types(evs), string(api.EventMedia)) || len(env.Swarm.Comfy().Prompts()) != before {
				t.Fatal("a blocked run reached the image backend")
			}
		})
	}
}

// TestKidsLevelSendsViolenceToTheJudge: at kids level "Blut, Messer und
// eine Leiche" is flagged by the kids list and the judge blocks it, while a
// knight kneeling before a king passes.
func TestKidsLevelSendsViolenceToTheJudge(t *testing.T) {
	env := newEnv(t, envOptions{})
	evs := env.collect(t, env.startRun(t, api.RunRequest{Stages: api.StagesInterception, Interception: "dada",
		Prompt: "Blut, Messer und eine Leiche", SafetyLevel: "kids", Lang: "de"}))
	if st := lastDone(t, evs); st != string(api.StateBlocked) {
		t.Fatalf("kids run with violence ended %s: %v", st, types(evs))
	}
	s := safetyOf(t, evs)
	if len(s) == 0 || s[0].Stage != 1 || s[0].Verdict != api.VerdictBlocked || !slices.Contains(s[0].Checks, "judge") {
		t.Fatalf("safety events %+v, want stage 1 blocked by the judge", s)
	}
	evs = env.collect(t, env.startRun(t, api.RunRequest{Stages: api.StagesInterception, Interception: "dada",
		Prompt: "Ein Ritter kniet vor dem König", SafetyLevel: "kids", Lang: "de"}))
	if st := lastDone(t, evs); st != string(api.StateDone) {
		t.Fatalf("kids run with a knight ended %s: %v", st, types(evs))
	}
}
