package main

import (
	"slices"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
)

// boundStudent is what the lower bound needs of one student: when they
// start (after the class's start, wall time) and their output config,
// which names the checkpoint of their image.
type boundStudent struct {
	Start  time.Duration
	Output string
}

// bound is the class's lower bound on the makespan (wall time): no
// routing can have every student's image sooner (docs/benchmarks.md,
// "The class").
type bound struct {
	Total time.Duration // the largest of Image, LLM and Chain
	// Lead is the earliest an image can start: the first student's start
	// and LLM calls, each after its model's load when LLM machines load
	// models.
	Lead time.Duration
	// FirstImage is the earliest a student can have an image.
	FirstImage time.Duration
	// Image is the image machines' bound: for a time s, the images that
	// cannot start before s, and the first load of each checkpoint that
	// cannot start before s, spread evenly over the machines after s; the
	// largest over s. With one more load when that is less than what
	// loading each checkpoint only once costs: all its images on one
	// machine.
	Image time.Duration
	// LLM is the same over the LLM machines' slots, for the calls and each
	// model's first load, plus one image after the last call.
	LLM time.Duration
	// Chain is the latest student's own shortest way to an image: their
	// start, their calls and their image, each no sooner than its model
	// can be loaded anywhere.
	Chain time.Duration
	// Call is the shortest call seen per LLM model: its work without
	// a load or a wait.
	Call map[string]time.Duration
}

// job is work that cannot start before release.
type job struct{ release, work time.Duration }

// spreadBound is the latest of s + (the work of the jobs released at s or
// later) / capacity over every release s: those jobs all run after s, and
// capacity is the most work the machines do per unit of time, so the last
// of them cannot end sooner. It holds for any order, and even if a job
// could be split over machines.
func spreadBound(jobs []job, capacity int) time.Duration {
	jobs = slices.Clone(jobs)
	slices.SortFunc(jobs, func(a, b job) int { return int(b.release - a.release) })
	var best, work time.Duration
	for i, j := range jobs {
		work += j.work
		if i+1 < len(jobs) && jobs[i+1].release == j.release {
			continue
		}
		best = max(best, j.release+work/time.Duration(max(capacity, 1)))
	}
	return best
}

// lowerBound computes the bound from the machines' settings, each
// student's start and output, and the LLM calls the simulators served.
//
// The class is relaxed to jobs with earliest starts (releases) on machines
// of known capacity, and spreadBound applies to each kind of machine. The
// releases hold for every routing, because a machine loads a model only
// for a call of it (Ollama with the first call of a model, ComfyUI with
// the first generation of a checkpoint) and nothing is loaded at the
// start:
//
//   - a student's interception call starts no sooner than the student,
//     nor than readyA: the first student's start plus the interception
//     model's load (its first call anywhere loads it);
//   - their stage 3 call no sooner than their interception call ends (its
//     shortest call), nor than readyB: the first interception's end plus
//     the stage 3 model's load;
//   - their image no sooner than their stage 3 call ends, nor than the
//     first load of their checkpoint ends; that load starts no sooner than
//     the first generation of the checkpoint can.
//
// Only each model's first load is counted: later loads can be avoided by
// some routing (two machines can hold two models). But a checkpoint loaded
// only once has all its images on one machine: the image side is the less
// of that (the busiest checkpoint's line on one machine) and the spread
// with one more load. On an LLM machine a
// load holds at least the slot of the call that asked for it (the
// simulator goes on running calls of the model it evicts), so the LLM
// side's capacity is its slots, each doing call or load time; the last
// call is followed by at least one image. An image machine does one
// generation or load at a time. Each call counts as its model's shortest
// call seen, each image as --image-work. With every student starting at
// once this is the bound of the first figures: the lead, then every image
// and each checkpoint's first load spread over the image machines.
func lowerBound(o classOptions, spec machineSpec, pool bool, students []boundStudent, calls []ollamasim.Recorded) bound {
	b := bound{Call: map[string]time.Duration{}}
	count := map[string]int{}
	for _, c := range calls {
		d := c.End.Sub(c.Running)
		if t, ok := b.Call[c.Model]; !ok || d < t {
			b.Call[c.Model] = d
		}
		count[c.Model]++
	}
	if len(students) == 0 {
		return b
	}
	load := time.Duration(0)
	if pool {
		load = spec.LLMLoad
	}
	// A model nobody called costs neither a call nor a load.
	step := func(model string) (call, load1 time.Duration) {
		if t, ok := b.Call[model]; ok {
			return t, load
		}
		return 0, 0
	}
	callA, loadA := step(llmInterception)
	callB, loadB := step(llmStage3)
	image := spec.StepDelay * time.Duration(o.Steps)

	first := students[0].Start
	for _, s := range students {
		first = min(first, s.Start)
	}
	readyA := first + loadA
	readyB := readyA + callA + loadB
	b.Lead = readyB + callB

	// LLM side: each student's calls of a model at their release; calls
	// beyond one per student and model (none in this class) at the
	// model's earliest; each model's first load.
	release := func(model string, start time.Duration) time.Duration {
		switch model {
		case llmInterception:
			return max(start, readyA)
		case llmStage3:
			return max(max(start, readyA)+callA, readyB)
		}
		return start
	}
	var llmJobs []job
	for model, n := range count {
		per := n / len(students)
		for _, s := range students {
			for range per {
				llmJobs = append(llmJobs, job{release(model, s.Start), b.Call[model]})
			}
		}
		for range n - per*len(students) {
			llmJobs = append(llmJobs, job{release(model, first), b.Call[model]})
		}
		if load > 0 {
			// The first load starts with the model's first call.
			at := first
			if model == llmInterception || model == llmStage3 {
				at = release(model, first) - load
			}
			llmJobs = append(llmJobs, job{at, load})
		}
	}
	b.LLM = spreadBound(llmJobs, spec.LLMMachines*spec.LLMSlots) + image

	// Image side: a student's generation can start when their stage 3 call
	// ends; a checkpoint's first load with its first generation.
	gen := make([]time.Duration, len(students))
	firstGen := map[string]time.Duration{}
	for i, s := range students {
		gen[i] = release(llmStage3, s.Start) + callB
		if g, ok := firstGen[s.Output]; !ok || gen[i] < g {
			firstGen[s.Output] = gen[i]
		}
	}
	var imageJobs []job
	perCheckpoint := map[string][]job{}
	firstLoad := time.Duration(-1)
	for out, g := range firstGen {
		imageJobs = append(imageJobs, job{g, spec.CheckpointLoad})
		perCheckpoint[out] = append(perCheckpoint[out], job{g, spec.CheckpointLoad})
		if firstLoad < 0 || g < firstLoad {
			firstLoad = g
		}
	}
	b.FirstImage = -1
	for i, s := range students {
		r := max(gen[i], firstGen[s.Output]+spec.CheckpointLoad)
		imageJobs = append(imageJobs, job{r, image})
		perCheckpoint[s.Output] = append(perCheckpoint[s.Output], job{r, image})
		b.Chain = max(b.Chain, r+image)
		if b.FirstImage < 0 || r+image < b.FirstImage {
			b.FirstImage = r + image
		}
	}
	// Either every checkpoint is loaded once, and then all its images run
	// on the one machine that loaded it; or some checkpoint is loaded
	// twice: one more load, no sooner than the first load can start.
	var once time.Duration
	for _, jobs := range perCheckpoint {
		once = max(once, spreadBound(jobs, 1))
	}
	twice := spreadBound(append(imageJobs, job{firstLoad, spec.CheckpointLoad}), spec.ImageMachines)
	b.Image = min(once, twice)
	b.Total = max(b.Image, b.LLM, b.Chain)
	return b
}
