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

// TestLowerBound checks the bound on a class with known figures: two LLM
// machines of two slots loading each model in 5 s, calls of 1 s, two
// image machines switching checkpoints in 8 s, images of 1 s.
func TestLowerBound(t *testing.T) {
	o := classOptions{Students: 30, Steps: 25}
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
	mix := map[string]int{"a": 14, "b": 16}
	tests := []struct {
		name                    string
		pool                    bool
		machines, slots         int
		lead, image, llm, total time.Duration
	}{
		// lead 5+1+5+1; image 12 + (30×1 + 2×8)/2; LLM (61 s/2 + 2×5)/2 + 1.
		{"pool", true, 2, 2, 12 * time.Second, 35 * time.Second, 21250 * time.Millisecond, 35 * time.Second},
		// One machine with every model loaded stands in: no loads; LLM 61 s/4 + 1.
		{"stand-in", false, 1, 4, 2 * time.Second, 25 * time.Second, 16250 * time.Millisecond, 25 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec.LLMMachines, spec.LLMSlots = tt.machines, tt.slots
			b := lowerBound(o, spec, tt.pool, mix, calls)
			if b.FirstImage != tt.lead+9*time.Second {
				t.Errorf("first image %v, want lead + checkpoint load + image = %v", b.FirstImage, tt.lead+9*time.Second)
			}
			if b.Lead != tt.lead || b.Image != tt.image || b.LLM != tt.llm || b.Total != tt.total {
				t.Fatalf("bound lead %v image %v llm %v total %v, want %v %v %v %v", b.Lead, b.Image, b.LLM, b.Total,
					tt.lead, tt.image, tt.llm, tt.total)
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
