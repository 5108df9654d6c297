package pipeline

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/safety"
	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
	"github.com/ai4artsed/ai4artsed/internal/sim/swarmsim"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// TestImageLineShared: 30 generations of one checkpoint start at once on
// two image machines. The image pool loads no second copy on its default
// estimates, so they all queue on the first machine; once two images are
// measured, the second machine takes the tail of that line (pool OnShare).
// Every generation is done, both machines served some, each loaded the
// checkpoint once, and neither ever ran more than its slot.
func TestImageLineShared(t *testing.T) {
	const generations = 30
	var sims []*swarmsim.Server
	var machines []*Images
	for i := range 2 {
		sim := swarmsim.New(swarmsim.Options{Comfy: comfysim.Options{StepDelay: 10 * time.Millisecond, CheckpointLoadDelay: 150 * time.Millisecond}})
		srv := httptest.NewServer(sim)
		t.Cleanup(func() { srv.Close(); sim.Close() })
		sims = append(sims, sim)
		machines = append(machines, &Images{Swarm: swarm.New(srv.URL, srv.Client()), Comfy: &fakeComfy{}, Machine: fmt.Sprintf("m%d", i+1)})
	}
	p, db, _ := newPipelineWith(t, pipelineOptions{LLM: echoLLM("x"), Images: machines[0], Files: true, Level: safety.Adult, ConfigDir: classOutputs(t, 4)})
	p.cfg.ImageMachines, p.cfg.IdleCancel = machines, time.Hour
	var ids []string
	for i := range generations {
		ids = append(ids, startGen(t, p, Request{Text: "a fox", Output: "modelA", ClientID: fmt.Sprintf("s%d", i)}).ID)
	}
	ran := map[string]int{}
	for _, id := range ids {
		r := waitFinalWithin(t, db, id, time.Minute)
		if r.State != store.StateDone {
			t.Fatalf("run %s: %s %s", id, r.State, r.ErrorCode)
		}
		ran[detailOf(t, r).Machine]++
	}
	if ran["m1"] == 0 || ran["m2"] == 0 {
		t.Errorf("generations per machine %v: the line was not shared", ran)
	}
	for i, s := range sims {
		if n := s.Comfy().CheckpointLoads(); n != 1 {
			t.Errorf("m%d loaded the checkpoint %d times, want once", i+1, n)
		}
		if n := s.MaxInFlight(); n > 1 {
			t.Errorf("m%d ran %d generations at once, 1 slot", i+1, n)
		}
	}
	if n := len(sims[0].Requests()) + len(sims[1].Requests()); n != generations {
		t.Errorf("the machines got %d generations, want %d (none twice)", n, generations)
	}
}
