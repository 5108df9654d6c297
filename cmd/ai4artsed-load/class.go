package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/client"
)

// classOptions are the flags of `ai4artsed-load class` (docs/benchmarks.md,
// "The class"). Durations are class time: the simulators get them
// multiplied by Scale.
type classOptions struct {
	Students      int
	Scale         float64
	Seed          uint64
	ServerBin     string
	Policies      []string
	LLMMachines   int // 0: two, or one when the server refuses several
	ImageMachines int
	LLMSlots      int
	LLMLoad       time.Duration
	CkptLoad      time.Duration
	ImageWork     time.Duration
	Steps         int
	FirstToken    time.Duration
	Token         time.Duration
	Spread        time.Duration
	Timeout       time.Duration
	// Keep, when set, is a directory that keeps each play's server log,
	// data and configs instead of a temporary one removed at the end.
	Keep string
}

// scaled is d in wall time.
func (o classOptions) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * o.Scale)
}

// parseClassFlags reads the class mode's flags.
func parseClassFlags(args []string, stderr io.Writer) (classOptions, error) {
	var o classOptions
	fs := flag.NewFlagSet("ai4artsed-load class", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.Students, "students", 30, "students: each makes an interception run, then a generation run of its text")
	fs.Float64Var(&o.Scale, "scale", 0.5, "time scale: 0.1 makes a 5 s model load take 0.5 s")
	fs.Uint64Var(&o.Seed, "seed", 7, "seed of the students' choices of image model, idea and interception")
	fs.StringVar(&o.ServerBin, "server-bin", "", "the ai4artsed binary to run (empty: go build it into a temporary directory)")
	policies := fs.String("policies", "models,round-robin", "AI4ARTSED_ROUTING values to play, comma-separated; the first is ours, the second the baseline")
	fs.IntVar(&o.LLMMachines, "llm-machines", 0, "simulated LLM machines (0: 2, or 1 when the server takes one OLLAMA_URL only)")
	fs.IntVar(&o.ImageMachines, "image-machines", 2, "simulated image machines (SwarmUI with its ComfyUI)")
	fs.IntVar(&o.LLMSlots, "llm-slots", 2, "LLM calls at once per LLM machine (AI4ARTSED_LLM_SLOTS and the simulator's OLLAMA_NUM_PARALLEL)")
	fs.DurationVar(&o.LLMLoad, "llm-load", 5*time.Second, "LLM model load time (class time); each LLM machine has room for one model")
	fs.DurationVar(&o.CkptLoad, "checkpoint-load", 8*time.Second, "image machine checkpoint switch (class time)")
	fs.DurationVar(&o.ImageWork, "image-work", time.Second, "work per image at --steps (class time)")
	fs.IntVar(&o.Steps, "steps", 25, "sampler steps of both image models")
	fs.DurationVar(&o.FirstToken, "first-token", 200*time.Millisecond, "LLM time to first token (class time)")
	fs.DurationVar(&o.Token, "token", 20*time.Millisecond, "LLM time per token (class time)")
	fs.DurationVar(&o.Spread, "spread", 0, "students start at random times within this span (class time); 0: all at once")
	fs.DurationVar(&o.Timeout, "timeout", 20*time.Minute, "give up after this long (wall time)")
	fs.StringVar(&o.Keep, "keep", "", "keep each play's server log (server.log), data and configs under this directory (empty: a temporary directory, removed)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.Students < 1:
		return o, fmt.Errorf("--students %d: want at least 1", o.Students)
	case o.Scale <= 0 || o.Scale > 10:
		return o, fmt.Errorf("--scale %v: want more than 0 and at most 10", o.Scale)
	case o.LLMMachines < 0 || o.ImageMachines < 1 || o.LLMSlots < 1 || o.Steps < 1 || o.Steps > 200:
		return o, errors.New("--llm-machines, --image-machines, --llm-slots and --steps (1..200) must be positive")
	case o.LLMLoad < 0 || o.CkptLoad < 0 || o.ImageWork <= 0 || o.FirstToken < 0 || o.Token < 0 || o.Spread < 0:
		return o, errors.New("durations must not be negative, --image-work must be positive")
	}
	for _, p := range strings.Split(*policies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			o.Policies = append(o.Policies, p)
		}
	}
	if len(o.Policies) == 0 {
		return o, errors.New("--policies: name at least one")
	}
	return o, nil
}

// runClass is `ai4artsed-load class`: it plays the class once per policy
// and prints the table and the aims.
func runClass(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseClassFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "ai4artsed-load class:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	rep, err := playClasses(ctx, o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "ai4artsed-load class:", err)
		return 1
	}
	rep.print(stdout)
	if !rep.sound() {
		return 1
	}
	return 0
}

// playClasses builds the server if needed and plays the class once per
// policy, each against fresh machines and a fresh server.
func playClasses(ctx context.Context, o classOptions, progress io.Writer) (*classReport, error) {
	work := o.Keep
	if work == "" {
		tmp, err := os.MkdirTemp("", "ai4artsed-class-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		work = tmp
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	bin := o.ServerBin
	if bin == "" {
		fmt.Fprintln(progress, "building the server ...")
		var err error
		if bin, err = buildServer(ctx, work); err != nil {
			return nil, err
		}
	}
	rep := &classReport{opts: o}
	llms, auto := o.LLMMachines, o.LLMMachines == 0
	if auto {
		llms = 2
	}
	for i, policy := range o.Policies {
		fmt.Fprintf(progress, "playing the class: %d students, routing %s ...\n", o.Students, policy)
		res, err := playClass(ctx, o, bin, policy, llms, filepath.Join(work, strconv.Itoa(i)))
		if errors.Is(err, errRefusedLLMPool) && auto {
			rep.notes = append(rep.notes, "the server refused two LLM machines (comma-separated OLLAMA_URL): the LLM side ran on one machine with every model loaded and twice the slots; its loads and the LLM part of the lower bound are not measured")
			llms = 1
			res, err = playClass(ctx, o, bin, policy, llms, filepath.Join(work, strconv.Itoa(i)+"b"))
		}
		if err != nil {
			return nil, fmt.Errorf("routing %s: %w", policy, err)
		}
		if !res.routingLogged {
			rep.notes = append(rep.notes, fmt.Sprintf("routing %s: the server's settings log has no routing setting, so it may have ignored AI4ARTSED_ROUTING=%s", policy, policy))
		}
		rep.runs = append(rep.runs, res)
	}
	return rep, nil
}

// playClass plays the class once against fresh simulators and a fresh
// server under dir.
func playClass(ctx context.Context, o classOptions, bin, policy string, llmMachines int, dir string) (*classResult, error) {
	spec := machineSpec{
		LLMMachines: llmMachines, ImageMachines: o.ImageMachines, LLMSlots: o.LLMSlots,
		LLMModels:  []string{llmInterception, llmStage3, llmSafety},
		FirstToken: o.scaled(o.FirstToken), Token: o.scaled(o.Token),
		LLMLoad: o.scaled(o.LLMLoad), LLMRoom: 1,
		StepDelay: o.scaled(o.ImageWork) / time.Duration(o.Steps), CheckpointLoad: o.scaled(o.CkptLoad),
	}
	for _, out := range classOutputs {
		spec.Checkpoints = append(spec.Checkpoints, out.Checkpoint)
	}
	pool := llmMachines > 1
	if !pool {
		// One LLM machine stands in for the pool: the same slots in all,
		// every model loaded, so the image side is what is measured.
		spec.LLMSlots, spec.LLMLoad, spec.LLMRoom = o.LLMSlots*2, 0, 0
	}
	m, err := startMachines(spec)
	if err != nil {
		return nil, err
	}
	defer m.close()
	if err := writeClassConfigs(filepath.Join(dir, "config"), o.Steps); err != nil {
		return nil, err
	}
	env := m.env()
	for k, v := range map[string]string{
		"AI4ARTSED_CONFIG_DIR": filepath.Join(dir, "config"), "AI4ARTSED_SAFETY_LEVEL": "adult", "AI4ARTSED_LANGUAGE": "en",
		"AI4ARTSED_LLM_SLOTS": strconv.Itoa(spec.LLMSlots), "AI4ARTSED_IMAGE_SLOTS": "1",
		"AI4ARTSED_ROUTING":            policy,
		"AI4ARTSED_MODEL_INTERCEPTION": "ollama/" + llmInterception, "AI4ARTSED_MODEL_TRANSLATION": "ollama/" + llmStage3,
		"AI4ARTSED_MODEL_OPTIMIZATION": "ollama/" + llmStage3, "AI4ARTSED_MODEL_SAFETY": "ollama/" + llmSafety,
		"AI4ARTSED_DEFAULT_OUTPUT": classOutputs[0].ID, "AI4ARTSED_QUEUE_MAX": strconv.Itoa(max(500, 4*o.Students)),
		"SWARMUI_AUTO_START": "false", "SWARMUI_HEALTH_CHECK_INTERVAL": "0.5",
	} {
		env[k] = v
	}
	if o.Keep != "" {
		env["AI4ARTSED_LOG_LEVEL"] = "debug" // the kept log shows each routing decision
	}
	srv, err := startServer(ctx, bin, filepath.Join(dir, "data"), filepath.Join(dir, "server.log"), env)
	if err != nil {
		if pool && strings.Contains(err.Error(), "OLLAMA_URL") {
			return nil, fmt.Errorf("%w: %v", errRefusedLLMPool, err)
		}
		return nil, err
	}
	defer srv.stop()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * o.Students}}
	defer hc.CloseIdleConnections()
	if err := waitMachinesUp(ctx, hc, srv.URL, o.ImageMachines); err != nil {
		return nil, fmt.Errorf("%w: %s", err, tail(srv.logPath, 600))
	}
	res := &classResult{policy: policy, llmPool: pool, routingLogged: strings.Contains(srv.log(), "routing="), mix: map[string]int{}}

	rng := rand.New(rand.NewPCG(o.Seed, 30))
	students := make([]student, o.Students)
	starts := make([]time.Duration, o.Students)
	for i := range students {
		out := classOutputs[rng.IntN(len(classOutputs))]
		students[i] = student{ID: fmt.Sprintf("student-%02d", i+1), Prompt: classIdeas[rng.IntN(len(classIdeas))],
			Interception: classInterceptions[rng.IntN(len(classInterceptions))], Output: out.ID}
		res.mix[out.ID]++
		if o.Spread > 0 {
			starts[i] = time.Duration(rng.Int64N(int64(o.scaled(o.Spread))))
		}
	}
	res.students, res.starts = make([]studentResult, o.Students), starts
	class := time.Now()
	var wg sync.WaitGroup
	for i, s := range students {
		wg.Go(func() {
			select {
			case <-time.After(starts[i]):
			case <-ctx.Done():
			}
			res.students[i] = s.play(ctx, hc, srv.URL, class)
		})
	}
	wg.Wait()
	res.makespan = time.Since(class)
	res.machines = m.figures(1)
	bs := make([]boundStudent, len(students))
	for i, s := range students {
		bs[i] = boundStudent{Start: starts[i], Output: s.Output}
	}
	res.bound = lowerBound(o, spec, pool, bs, m.llmCalls())
	return res, nil
}

// waitMachinesUp waits until the server reports n image machines up.
func waitMachinesUp(ctx context.Context, hc *http.Client, base string, n int) error {
	c := client.New(base, hc)
	deadline := time.Now().Add(30 * time.Second)
	for {
		up := 0
		if list, err := c.Backends(ctx); err == nil {
			for _, b := range list.Backends {
				if b.Kind == "image" && b.State == "up" {
					up++
				}
			}
		}
		if up >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server reports %d of %d image machines up after 30 s", up, n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
