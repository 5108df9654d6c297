package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// machineFigures are one simulated machine's counters after a class.
type machineFigures struct {
	Name, Kind string
	Loads      int           // model (LLM) or checkpoint (image) loads
	Busy       time.Duration // time with work on it
	MaxCalls   int           // most calls it had open at once
	Slots      int           // the server's slots for it
	Calls      int           // calls it received
}

// classResult is one play of the class under one routing policy.
type classResult struct {
	policy        string
	llmPool       bool // two LLM machines (else one stood in)
	routingLogged bool // the server's settings log names a routing setting
	mix           map[string]int
	students      []studentResult
	starts        []time.Duration // each student's start after the class's
	makespan      time.Duration   // until every student's runs ended
	machines      []machineFigures
	bound         bound
}

// waits are the students' times from their start to their image.
func (r *classResult) waits() []time.Duration {
	var out []time.Duration
	for i, s := range r.students {
		if s.Image > 0 {
			out = append(out, s.Image-r.starts[i])
		}
	}
	return out
}

// firstImage is the time from the class's start until the first student
// had an image (with --spread not the shortest wait: that student may
// have started late).
func (r *classResult) firstImage() time.Duration {
	var first time.Duration
	for _, s := range r.students {
		if s.Image > 0 && (first == 0 || s.Image < first) {
			first = s.Image
		}
	}
	return first
}

// imageMakespan is the time until the last student had an image; the
// whole time when a student got none.
func (r *classResult) imageMakespan() time.Duration {
	var last time.Duration
	for _, s := range r.students {
		if s.Image == 0 {
			return r.makespan
		}
		last = max(last, s.Image)
	}
	return last
}

func (r *classResult) failures() []string {
	var out []string
	for i, s := range r.students {
		if s.Err != "" || s.Image == 0 {
			out = append(out, fmt.Sprintf("student %d: %s", i+1, s.Err))
		}
	}
	return out
}

// overSlots lists the machines that had more calls open than slots.
func (r *classResult) overSlots() []string {
	var out []string
	for _, m := range r.machines {
		if m.MaxCalls > m.Slots {
			out = append(out, fmt.Sprintf("%s %d > %d", m.Name, m.MaxCalls, m.Slots))
		}
	}
	return out
}

// classReport is every policy's play and what the runner noticed.
type classReport struct {
	opts  classOptions
	runs  []*classResult
	notes []string
}

// sound reports whether every student got an image and no machine had
// more calls than slots, in every run.
func (rep *classReport) sound() bool {
	for _, r := range rep.runs {
		if len(r.failures()) > 0 || len(r.overSlots()) > 0 {
			return false
		}
	}
	return len(rep.runs) > 0
}

// secs prints a wall time as class time in seconds.
func (rep *classReport) secs(d time.Duration) string {
	return fmt.Sprintf("%.1f s", d.Seconds()/rep.opts.Scale)
}

// print writes the tables and the aims.
func (rep *classReport) print(w io.Writer) {
	o := rep.opts
	if len(rep.runs) == 0 {
		return
	}
	first := rep.runs[0]
	var mix []string
	for _, out := range classOutputs {
		mix = append(mix, fmt.Sprintf("%s %d", out.ID, first.mix[out.ID]))
	}
	llm := fmt.Sprintf("2 LLM machines (%d slots each, room for one model, load %v)", o.LLMSlots, o.LLMLoad)
	if !first.llmPool {
		llm = fmt.Sprintf("1 LLM machine standing in for two (%d slots, every model loaded)", 2*o.LLMSlots)
	}
	fmt.Fprintf(w, "class: %d students (%s), %s, %d image machines (1 slot, checkpoint switch %v, %v per image at %d steps); scale %g, times in class seconds (wall time / scale)\n\n",
		o.Students, strings.Join(mix, ", "), llm, o.ImageMachines, o.CkptLoad, o.ImageWork, o.Steps, o.Scale)
	fmt.Fprintln(w, "| routing | makespan | first image | wait p50 | wait p95 | wait max | queued p50 | images | model loads LLM / image |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range rep.runs {
		ws := r.waits()
		var queued []time.Duration
		for _, s := range r.students {
			queued = append(queued, s.Queued)
		}
		loads := map[string]int{}
		for _, m := range r.machines {
			loads[m.Kind] += m.Loads
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %d/%d | %d / %d |\n", r.policy, rep.secs(r.imageMakespan()),
			rep.secs(r.firstImage()), rep.secs(pct(ws, 50)), rep.secs(pct(ws, 95)), rep.secs(pct(ws, 100)), rep.secs(pct(queued, 50)),
			len(ws), len(r.students), loads["llm"], loads["image"])
	}
	b := first.bound
	fmt.Fprintf(w, "| lower bound | %s | %s | | | | | | %d / %d |\n\n", rep.secs(b.Total), rep.secs(b.FirstImage), neededLLMLoads(first), len(first.mix))
	fmt.Fprintf(w, "lower bound = max(image side %s, LLM side %s, latest student's chain %s); lead before the first image %s (shortest calls:%s)\n\n",
		rep.secs(b.Image), rep.secs(b.LLM), rep.secs(b.Chain), rep.secs(b.Lead), rep.calls(b))
	fmt.Fprintln(w, "| routing | machine | model loads | busy share | max calls / slots | calls |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range rep.runs {
		for _, m := range r.machines {
			fmt.Fprintf(w, "| %s | %s | %d | %.0f %% | %d / %d | %d |\n", r.policy, m.Name, m.Loads,
				100*m.Busy.Seconds()/max(r.imageMakespan().Seconds(), 1e-9), m.MaxCalls, m.Slots, m.Calls)
		}
	}
	fmt.Fprintln(w)
	for _, r := range rep.runs {
		if f := r.failures(); len(f) > 0 {
			fmt.Fprintf(w, "%s: %d of %d students got no image, e.g. %s\n", r.policy, len(f), len(r.students), f[0])
		}
	}
	rep.printAims(w)
	for _, n := range rep.notes {
		fmt.Fprintln(w, "note:", n)
	}
}

// neededLLMLoads is how many LLM model loads the class cannot avoid.
func neededLLMLoads(r *classResult) int {
	if !r.llmPool {
		return 0
	}
	return len(r.bound.Call)
}

func (rep *classReport) calls(b bound) string {
	var models []string
	for m := range b.Call {
		models = append(models, m)
	}
	slices.Sort(models)
	var s string
	for _, m := range models {
		s += fmt.Sprintf(" %s %s", m, rep.secs(b.Call[m]))
	}
	return s
}

// printAims checks the aims of the scheduler issue on the first policy
// (ours) against the second (the baseline).
func (rep *classReport) printAims(w io.Writer) {
	ours := rep.runs[0]
	verdict := func(ok bool) string {
		if ok {
			return "PASS"
		}
		return "FAIL"
	}
	// A figure of a class where students got no image means nothing.
	complete := func(r *classResult) bool { return len(r.failures()) == 0 }
	ms, lb := ours.imageMakespan(), ours.bound.Total
	fmt.Fprintln(w, "| aim | figure | result |")
	fmt.Fprintln(w, "|---|---|---|")
	fmt.Fprintf(w, "| makespan <= 1.2 x lower bound | %s <= %s (%.2f x) | %s |\n", rep.secs(ms), rep.secs(lb*12/10),
		ms.Seconds()/max(lb.Seconds(), 1e-9), verdict(complete(ours) && ms <= lb*12/10))
	if len(rep.runs) > 1 {
		base := rep.runs[1]
		ratio := base.imageMakespan().Seconds() / max(ms.Seconds(), 1e-9)
		fmt.Fprintf(w, "| at least 1.5 x shorter than %s | %s vs %s (%.2f x) | %s |\n", base.policy, rep.secs(ms),
			rep.secs(base.imageMakespan()), ratio, verdict(complete(ours) && complete(base) && ratio >= 1.5))
	}
	ws := ours.waits()
	p50, p95 := pct(ws, 50), pct(ws, 95)
	fmt.Fprintf(w, "| p95 wait <= 2 x median | %s <= %s | %s |\n", rep.secs(p95), rep.secs(2*p50), verdict(complete(ours) && p95 <= 2*p50))
	var over []string
	for _, r := range rep.runs {
		for _, o := range r.overSlots() {
			over = append(over, r.policy+" "+o)
		}
	}
	figure := "every machine, every run"
	if len(over) > 0 {
		figure = strings.Join(over, "; ")
	}
	fmt.Fprintf(w, "| never more calls on a machine than its slots | %s | %s |\n\n", figure, verdict(len(over) == 0))
}
