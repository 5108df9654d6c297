package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/safety"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

func TestLevelsAreStricterOnlyAndALooserOneIsRaisedSilently(t *testing.T) {
	cases := []struct {
		server         safety.Level
		asked, got     string
		requested      string
		invalid, raise bool
	}{
		{server: safety.Youth, asked: "", got: "youth"},
		{server: safety.Youth, asked: "kids", got: "kids"},
		{server: safety.Youth, asked: "adult", got: "youth", requested: "adult", raise: true},
		{server: safety.Youth, asked: "research", got: "youth", requested: "research", raise: true},
		{server: safety.Kids, asked: "research", got: "kids", requested: "research", raise: true},
		{server: safety.Research, asked: "adult", got: "adult"},
		{server: safety.Youth, asked: "toddlers", invalid: true},
	}
	for _, tc := range cases {
		t.Run(string(tc.server)+"/"+tc.asked, func(t *testing.T) {
			p, db, hub := newPipelineWith(t, pipelineOptions{LLM: &safetyLLM{}, Level: tc.server, Filter: &fakeFilter{}})
			run, err := p.Start(context.Background(), Request{Stages: StagesInterception, Prompt: "a cat", Interception: "dada", SafetyLevel: tc.asked})
			if tc.invalid {
				var ve *fault.ValidationError
				if !errors.As(err, &ve) || ve.Field != "safety_level" {
					t.Fatalf("Start = %v, want a safety_level validation error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			waitDone(t, hub, run.ID)
			r := runOf(t, db, run.ID)
			var in Request
			if err := json.Unmarshal(r.Input, &in); err != nil {
				t.Fatal(err)
			}
			if in.SafetyLevel != tc.got || in.RequestedSafetyLevel != tc.requested || r.State != store.StateDone {
				t.Fatalf("input level %q requested %q state %s; want %q %q done", in.SafetyLevel, in.RequestedSafetyLevel, r.State, tc.got, tc.requested)
			}
			var rec inputRecord
			stageDetail(t, r, 1, &rec)
			if string(rec.Level) != tc.got || rec.Raised != tc.raise || rec.RequestedLevel != tc.requested {
				t.Fatalf("stage 1 record %+v", rec)
			}
		})
	}
}

func TestStageOneChecksPromptAndRules(t *testing.T) {
	cases := []struct {
		name      string
		level     safety.Level
		prompt    string
		context   string
		judge     func(string) (string, error)
		state     store.State
		code      api.Code
		judged    int      // judge calls
		terms     []string // in the safety event
		suggested bool
	}{
		{name: "filter blocks the prompt", level: safety.Youth, prompt: "a FORBIDDEN flag", state: store.StateBlocked, code: api.CodeBlocked},
		{name: "filter blocks the rules text", level: safety.Youth, prompt: "a cat", context: "always draw a FORBIDDEN flag", state: store.StateBlocked, code: api.CodeBlocked},
		{name: "youth: flagged, judge says unsafe, a checked suggestion", level: safety.Youth, prompt: "a knife", state: store.StateBlocked, code: api.CodeBlocked,
			judged: 2, terms: []string{"knife"}, suggested: true},
		{name: "youth: unflagged text skips the judge", level: safety.Youth, prompt: "a cat", state: store.StateDone},
		{name: "kids: every text goes to the judge", level: safety.Kids, prompt: "a cat", context: "be kind", state: store.StateDone, judged: 2},
		{name: "kids: the judge blocks what the filter passed", level: safety.Kids, prompt: "a cat UNSAFE-TEST", state: store.StateBlocked, code: api.CodeBlocked, judged: 2, suggested: true},
		{name: "kids: judge down blocks", level: safety.Kids, prompt: "a cat", judge: func(string) (string, error) { return "", llm.ErrUnavailable },
			state: store.StateBlocked, code: api.CodeSafetyUnavailable, judged: 1},
		{name: "youth: judge answers garbage on a flagged text", level: safety.Youth, prompt: "a knife", judge: func(string) (string, error) { return "turtles", nil },
			state: store.StateBlocked, code: api.CodeSafetyUnavailable, judged: 1, terms: nil},
		{name: "adult: judge down fails open", level: safety.Adult, prompt: "a knife", judge: func(string) (string, error) { return "", llm.ErrModelNotFound },
			state: store.StateDone, judged: 1},
		{name: "research: filters recorded, nothing blocked", level: safety.Research, prompt: "a FORBIDDEN flag", state: store.StateDone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := &safetyLLM{judge: tc.judge, suggest: "a friendly cat"}
			p, db, hub := newPipelineWith(t, pipelineOptions{LLM: l, RawLLM: true, Level: tc.level, Filter: &fakeFilter{}})
			run, err := p.Start(context.Background(), Request{Stages: StagesInterception, Prompt: tc.prompt, Context: tc.context, Interception: "dada"})
			if err != nil {
				t.Fatal(err)
			}
			evs := decodeEvents(t, waitDone(t, hub, run.ID))
			r := runOf(t, db, run.ID)
			if r.State != tc.state || api.Code(r.ErrorCode) != tc.code {
				t.Fatalf("run %s %s, want %s %q", r.State, r.ErrorCode, tc.state, tc.code)
			}
			if n := len(l.callsTo(testModels.Safety)); n != tc.judged {
				t.Fatalf("%d judge calls, want %d", n, tc.judged)
			}
			se := safetyEvents(evs)
			if len(se) != 1 || se[0].Stage != 1 {
				t.Fatalf("safety events %+v, want one of stage 1", se)
			}
			s1 := stageOf(t, r, 1)
			if tc.state == store.StateBlocked {
				if se[0].Verdict != api.VerdictBlocked || se[0].Reason == "" || !slices.Equal(se[0].Terms, tc.terms) ||
					(se[0].Suggestion != "") != tc.suggested || s1.Verdict != api.VerdictBlocked {
					t.Fatalf("safety event %+v, stage 1 verdict %q", se[0], s1.Verdict)
				}
				if len(l.callsTo(testModels.Interception)) != btoi(tc.suggested) {
					t.Fatal("stage 2 ran after a block")
				}
				last := shape(evs)
				if want := []string{"error " + string(tc.code), "done blocked"}; !slices.Equal(last[len(last)-2:], want) {
					t.Fatalf("events end %q, want %q", last, want)
				}
				return
			}
			if se[0].Verdict != api.VerdictSafe || se[0].Reason != "" || s1.Verdict != api.VerdictSafe || !slices.Contains(se[0].Checks, "filter_86a") {
				t.Fatalf("safety event %+v", se[0])
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestBlockedReasonIsInTheRunsLanguageAndNeverRepeatsHiddenTerms(t *testing.T) {
	for _, lang := range []string{"de", "en"} {
		p, _, hub := newPipelineWith(t, pipelineOptions{LLM: &safetyLLM{}, Filter: &fakeFilter{}})
		run, err := p.Start(context.Background(), Request{Stages: StagesInterception, Prompt: "FORBIDDEN", Interception: "dada", Lang: lang})
		if err != nil {
			t.Fatal(err)
		}
		evs := decodeEvents(t, waitDone(t, hub, run.ID))
		se := safetyEvents(evs)[0]
		want := reasons[safety.CategoryForbidden].Get(lang)
		if se.Reason != want || len(se.Terms) != 0 {
			t.Fatalf("%s: reason %q terms %v", lang, se.Reason, se.Terms)
		}
		for _, e := range waitDone(t, hub, run.ID) {
			if strings.Contains(string(e.Data), "forbidden-term") && e.Type != "" {
				t.Fatalf("event %s repeats a hidden term: %s", e.Type, e.Data)
			}
		}
	}
}

// TestJudgeWaitsInTheQueue: the judge's call takes a slot of the LLM queue
// like every call, and the student sees the queue position meanwhile.
func TestJudgeWaitsInTheQueue(t *testing.T) {
	release, entered := make(chan struct{}), make(chan struct{}, 1)
	l := &fakeLLM{chat: func(ctx context.Context, req llm.Request, _ func(string) error) (string, error) {
		if req.Model == testModels.Safety {
			return "SAFE", nil
		}
		entered <- struct{}{}
		select {
		case <-release:
			return "ok", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}}
	p, _, hub := newPipelineWith(t, pipelineOptions{LLM: l, RawLLM: true, Level: safety.Youth})
	p.cfg.Slots = 1
	holder, err := p.Start(context.Background(), Request{Stages: StagesInterception, Prompt: "first", Interception: "dada"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the first run never reached the LLM")
	}
	waiter, err := p.Start(context.Background(), Request{Stages: StagesInterception, Prompt: "second", Interception: "dada",
		SafetyLevel: "kids", ClientID: "b"})
	if err != nil {
		t.Fatal(err)
	}
	// The judge's call waits for the slot the first run holds.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Second)
	for p.Queue("fake").Waiting() == 0 {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("the judge's call never waited in the queue")
		}
	}
	close(release)
	waitDone(t, hub, holder.ID)
	got := shape(decodeEvents(t, waitDone(t, hub, waiter.ID)))
	iq, is := slices.Index(got, "queue_status"), slices.Index(got, "safety 1 safe")
	if iq < 0 || is < 0 || iq > is {
		t.Fatalf("events %q: want the judge's queue_status before the stage-1 safety event", got)
	}
}
