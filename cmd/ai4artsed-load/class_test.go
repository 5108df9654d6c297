package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
)

// TestClassTiny plays the class mode with three students at scale 0.02
// against a freshly built server: the report must be printed for both
// policies, every student must get an image, and no machine may ever have
// had more calls open than its slots. The aims are benchmark figures and
// are not asserted here.
func TestClassTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := buildServer(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	o, err := parseClassFlags([]string{"--server-bin", bin, "--students", "3", "--scale", "0.02"}, &progress)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := playClasses(ctx, o, &progress)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if len(rep.runs) != 2 {
		t.Fatalf("%d runs, want one per policy (2)", len(rep.runs))
	}
	for _, r := range rep.runs {
		for i, s := range r.students {
			if s.Image <= 0 || s.Err != "" {
				t.Errorf("%s: student %d got no image: %s", r.policy, i+1, s.Err)
			}
		}
		images := 0
		for _, m := range r.machines {
			if m.MaxCalls > m.Slots {
				t.Errorf("%s: %s had %d calls open at once, %d slots", r.policy, m.Name, m.MaxCalls, m.Slots)
			}
			if m.Kind == "image" {
				images += m.Calls
			}
		}
		if images != len(r.students) {
			t.Errorf("%s: the image machines got %d generations, want %d", r.policy, images, len(r.students))
		}
		if r.bound.Total <= 0 || r.imageMakespan() < r.bound.Total {
			t.Errorf("%s: makespan %v below the lower bound %v", r.policy, r.imageMakespan(), r.bound.Total)
		}
	}
	if !rep.sound() {
		t.Error("report not sound")
	}
	var out bytes.Buffer
	rep.print(&out)
	for _, want := range []string{"| models | ", "| round-robin | ", "| lower bound | ", "| models | image-2 | ",
		"| never more calls on a machine than its slots | every machine, every run | PASS |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestLowerBound checks the bound on classes with known figures: two LLM
// machines of two slots loading each model in 5 s, calls of 1 s, two
// image machines switching checkpoints in 8 s, images of 1 s; students
// starting at once or late.
func TestLowerBound(t *testing.T) {
	o := classOptions{Steps: 25}
	spec := machineSpec{ImageMachines: 2, LLMLoad: 5 * time.Second,
		StepDelay: 40 * time.Millisecond, CheckpointLoad: 8 * time.Second}
	t0 := time.Unix(0, 0)
	var calls []ollamasim.Recorded
	for range 30 {
		for _, m := range []string{llmInterception, llmStage3} {
			calls = append(calls, ollamasim.Recorded{Model: m, Running: t0, End: t0.Add(time.Second)})
		}
	}
	// One call that waited for a load: not the model's shortest call.
	calls = append(calls, ollamasim.Recorded{Model: llmInterception, Running: t0, End: t0.Add(6 * time.Second)})
	s := time.Second
	// class is n students of output "a" then m of "b", starting at start.
	class := func(start time.Duration, n, m int) []boundStudent {
		var out []boundStudent
		for i := range n + m {
			out = append(out, boundStudent{Start: start, Output: map[bool]string{true: "a", false: "b"}[i < n]})
		}
		return out
	}
	tests := []struct {
		name                   string
		pool                   bool
		machines, slots        int
		students               []boundStudent
		lead, first            time.Duration
		image, llm, chain, tot time.Duration
	}{
		// Lead 5+1+5+1. Images: each checkpoint loaded once, b's 16 on one
		// machine after 12 + 8: 36; or a third load, (30×1 + 3×8)/2 after
		// 12: 39. LLM: the 61 calls after the interception model's load
		// (5 s) over 4 slots with the stage 3 model's load: 5 + 66/4 =
		// 21.5, + 1 image.
		{"pool, at once", true, 2, 2, class(0, 14, 16), 12 * s, 21 * s, 36 * s, 22500 * time.Millisecond, 21 * s, 36 * s},
		// A mix this uneven is worth a third load: 12 + 8 + 24 = 44 on one
		// machine, 12 + 54/2 = 39 with it.
		{"uneven mix", true, 2, 2, class(0, 6, 24), 12 * s, 21 * s, 39 * s, 22500 * time.Millisecond, 21 * s, 39 * s},
		// One machine with every model loaded stands in: no loads; LLM
		// 61 s/4 + 1; images 2 + 8 + 16.
		{"stand-in, at once", false, 1, 4, class(0, 14, 16), 2 * s, 11 * s, 26 * s, 16250 * time.Millisecond, 11 * s, 26 * s},
		// 29 at once and one at 40 s: nothing to load for the late one, but
		// its own calls and image: 40 + 1 + 1 + 1. (Reachable: each
		// model on its own machine by then.) The LLM side: its two calls
		// after 40 and 41 over 4 slots, + 1 image. The image side: its
		// image after 42 spread with a third load, 42.5 (on one machine
		// with a's line, 43).
		{"one late student", true, 2, 2, append(class(0, 13, 16), boundStudent{40 * s, "a"}), 12 * s, 21 * s,
			42500 * time.Millisecond, 42250 * time.Millisecond, 43 * s, 43 * s},
		// 10 students of a at once, then 10 of a and 10 of b at 30 s: the
		// late wave's stage 3 calls end at 32, so from 32 on there are its
		// 20 images and the first load of b: 32 + 28/2 = 46 (each loaded
		// once: b's line alone, 32 + 8 + 10 = 50). The LLM side: 40 calls
		// from 30 s, 30 + 40/4 + 1.
		{"late wave", true, 2, 2, append(class(0, 10, 0), class(30*s, 10, 10)...), 12 * s, 21 * s,
			46 * s, 41 * s, 41 * s, 46 * s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec.LLMMachines, spec.LLMSlots = tt.machines, tt.slots
			b := lowerBound(o, spec, tt.pool, tt.students, calls)
			if b.Lead != tt.lead || b.FirstImage != tt.first {
				t.Errorf("lead %v first image %v, want %v %v", b.Lead, b.FirstImage, tt.lead, tt.first)
			}
			if b.Image != tt.image || b.LLM != tt.llm || b.Chain != tt.chain || b.Total != tt.tot {
				t.Errorf("bound image %v llm %v chain %v total %v, want %v %v %v %v", b.Image, b.LLM, b.Chain, b.Total,
					tt.image, tt.llm, tt.chain, tt.tot)
			}
		})
	}
}

// TestClassAims checks the verdicts on made-up classes: a class within
// the aims passes each; a student without an image fails the time aims
// and the report's soundness; a machine over its slots fails that aim.
func TestClassAims(t *testing.T) {
	s := time.Second
	class := func(policy string, images []time.Duration, maxCalls int) *classResult {
		r := &classResult{policy: policy, mix: map[string]int{"a": len(images)}, starts: make([]time.Duration, len(images)),
			bound: bound{Total: 10 * s, Call: map[string]time.Duration{}}}
		for _, d := range images {
			st := studentResult{Image: d}
			if d == 0 {
				st.Err = "generation: run ended failed"
			}
			r.students = append(r.students, st)
		}
		r.makespan = 12 * s
		r.machines = []machineFigures{{Name: "image-1", Kind: "image", MaxCalls: maxCalls, Slots: 1}}
		return r
	}
	good := []time.Duration{6 * s, 8 * s, 10 * s, 11 * s}
	tests := []struct {
		name  string
		runs  []*classResult
		want  []string
		sound bool
	}{
		{"within the aims", []*classResult{class("models", good, 1), class("round-robin", []time.Duration{9 * s, 12 * s, 16 * s, 20 * s}, 1)},
			[]string{"(1.10 x) | PASS", "(1.82 x) | PASS", "| 11.0 s <= 16.0 s | PASS", "every machine, every run | PASS"}, true},
		{"a student without an image", []*classResult{class("models", []time.Duration{6 * s, 0, 8 * s, 9 * s}, 1)},
			[]string{"lower bound | 12.0 s <= 12.0 s (1.20 x) | FAIL", "p95 wait <= 2 x median | 9.0 s <= 16.0 s | FAIL", "1 of 4 students got no image"}, false},
		{"over the slots", []*classResult{class("models", good, 2)},
			[]string{"models image-1 2 > 1 | FAIL"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &classReport{opts: classOptions{Students: 4, Scale: 1}, runs: tt.runs}
			var out bytes.Buffer
			rep.print(&out)
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("report lacks %q:\n%s", w, out.String())
				}
			}
			if rep.sound() != tt.sound {
				t.Errorf("sound = %v, want %v", rep.sound(), tt.sound)
			}
		})
	}
}
