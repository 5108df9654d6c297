package pipeline

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/pool"
	"github.com/ai4artsed/ai4artsed/internal/safety"
	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
	"github.com/ai4artsed/ai4artsed/internal/sim/swarmsim"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// waitLog is a Metrics that keeps every queue wait.
type waitLog struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (w *waitLog) QueueWait(_ string, d time.Duration) {
	w.mu.Lock()
	w.waits = append(w.waits, d)
	w.mu.Unlock()
}

func (w *waitLog) RunFinished(store.State) {}

// TestClassRouting plays the image half of a class: 30 students each
// generate once with one of two checkpoints on two image machines whose
// checkpoint switch costs loadDelay, routed by the pool's rule and by
// round-robin. It reports makespan, waits and checkpoint loads; set
// AI4ARTSED_CLASS_BENCH=1 to run it (docs/benchmarks.md).
func TestClassRouting(t *testing.T) {
	if os.Getenv("AI4ARTSED_CLASS_BENCH") == "" {
		t.Skip("set AI4ARTSED_CLASS_BENCH=1 to play the class")
	}
	const (
		students  = 30
		loadDelay = 400 * time.Millisecond
		stepDelay = 25 * time.Millisecond
		steps     = 4
	)
	rng := rand.New(rand.NewPCG(7, 30))
	outs := make([]string, students)
	for i := range outs {
		outs[i] = []string{"modelA", "modelB"}[rng.IntN(2)]
	}
	dir := classOutputs(t, steps)
	t.Logf("| policy | makespan | wait p50 | wait p95 | wait max | checkpoint loads |")
	t.Logf("|---|---|---|---|---|---|")
	for _, policy := range []pool.Policy{pool.PolicyModels, pool.PolicyRoundRobin} {
		var sims []*swarmsim.Server
		var machines []*Images
		for i := range 2 {
			sim := swarmsim.New(swarmsim.Options{Comfy: comfysim.Options{StepDelay: stepDelay, CheckpointLoadDelay: loadDelay}})
			srv := httptest.NewServer(sim)
			t.Cleanup(func() { srv.Close(); sim.Close() })
			sims = append(sims, sim)
			machines = append(machines, &Images{Swarm: swarm.New(srv.URL, srv.Client()), Comfy: &fakeComfy{}, Machine: fmt.Sprintf("m%d", i+1)})
		}
		waits := &waitLog{}
		p, db, _ := newPipelineWith(t, pipelineOptions{LLM: echoLLM("x"), Images: machines[0], Files: true, Level: safety.Adult, ConfigDir: dir})
		p.cfg.ImageMachines, p.cfg.Metrics, p.cfg.IdleCancel, p.cfg.Routing = machines, waits, time.Hour, policy
		start := time.Now()
		var ids []string
		for i, out := range outs {
			ids = append(ids, startGen(t, p, Request{Text: "a fox", Output: out, ClientID: fmt.Sprintf("s%d", i)}).ID)
		}
		for _, id := range ids {
			if r := waitFinalWithin(t, db, id, 2*time.Minute); r.State != store.StateDone {
				t.Fatalf("run %s: %s %s", id, r.State, r.ErrorCode)
			}
		}
		makespan := time.Since(start)
		loads := 0
		for _, s := range sims {
			loads += s.Comfy().CheckpointLoads()
		}
		w := slices.Clone(waits.waits)
		slices.Sort(w)
		q := func(f float64) time.Duration { return w[int(f*float64(len(w)-1))].Round(10 * time.Millisecond) }
		t.Logf("| %s | %v | %v | %v | %v | %d |", policy, makespan.Round(10*time.Millisecond), q(0.5), q(0.95), q(1), loads)
	}
	t.Logf("lower bound (nominal, no render time): 2 loads, makespan >= (%d x %v + 2 x %v) / 2 = %v",
		students, steps*stepDelay, loadDelay, (students*steps*stepDelay+2*loadDelay)/2)
}

// classOutputs writes outputs modelA and modelB: SwarmUI text-to-image
// with two different checkpoints, 64x64 and the given steps.
func classOutputs(t *testing.T, steps int) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "catalog", "builtin", "output", "sd35_large.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "output"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, model := range map[string]string{
		"modelA": "OfficialStableDiffusion/sd3.5_large.safetensors",
		"modelB": "OfficialStableDiffusion/sd_xl_base_1.0.safetensors",
	} {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "optimization_instruction")
		m["model"] = model
		params := m["parameters"].(map[string]any)
		params["width"], params["height"], params["steps"] = 64, 64, steps
		out, _ := json.Marshal(m)
		if err := os.WriteFile(filepath.Join(dir, "output", name+".json"), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
