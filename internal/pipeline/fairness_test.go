package pipeline

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/safety"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// runName finds the test's run names in what reaches a backend.
var runName = regexp.MustCompile(`run-[a-z][0-9]`)

// gate is a backend call that records who entered and then waits for the
// test to let it finish, one call at a time.
type gate struct {
	entered chan string
	release chan struct{}
}

func newGate() *gate {
	return &gate{entered: make(chan string, 64), release: make(chan struct{})}
}

func (g *gate) pass(ctx context.Context, who string) error {
	g.entered <- who
	select {
	case <-g.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// next returns who entered next and lets the call before it finish first.
func (g *gate) next(t *testing.T) string {
	t.Helper()
	select {
	case who := <-g.entered:
		return who
	case <-time.After(10 * time.Second):
		t.Fatal("no call reached the backend")
		return ""
	}
}

func (g *gate) open(t *testing.T) {
	t.Helper()
	select {
	case g.release <- struct{}{}:
	case <-time.After(10 * time.Second):
		t.Fatal("no call to let finish")
	}
}

// TestStudentsFirstRunsGoFirst: one student starts five runs, then four
// students start one each, while the only slot is held. The four are
// served before the first student's second run, in the LLM queue and in
// the image machine's queue alike.
func TestStudentsFirstRunsGoFirst(t *testing.T) {
	for _, stages := range []string{StagesInterception, StagesGeneration} {
		t.Run(stages, func(t *testing.T) {
			// Only the backend under test is gated; the other answers at once,
			// echoing the run's name (a stage 3 translation keeps it).
			g := newGate()
			l := &fakeLLM{chat: func(ctx context.Context, req llm.Request, _ func(string) error) (string, error) {
				who := runName.FindString(req.Messages[len(req.Messages)-1].Content)
				if stages == StagesGeneration {
					return who, nil
				}
				return "text", g.pass(ctx, who)
			}}
			sw := &fakeSwarm{generate: func(ctx context.Context, req swarm.T2IRequest) ([]swarm.Image, error) {
				err := g.pass(ctx, runName.FindString(req.Prompt))
				return []swarm.Image{{Path: "View/local/raw/out-1.png", Mime: "image/png", Data: testPNG(8, 6)}}, err
			}}
			p, _, _ := newPipelineWith(t, pipelineOptions{LLM: l, Images: &Images{Swarm: sw, Comfy: &fakeComfy{}},
				Files: true, Level: safety.Adult, ConfigDir: tinyOutputDir(t)})
			p.cfg.Slots, p.cfg.MaxRunsClient, p.cfg.IdleCancel = 1, 5, time.Hour
			waiting := func() int {
				n := 0
				for _, q := range p.Queues() {
					n += q.Waiting()
				}
				for _, q := range p.ImageQueues() {
					n += q.Waiting()
				}
				return n
			}
			start := func(client, text string) {
				req := Request{Stages: stages, ClientID: client, Output: "tiny"}
				if stages == StagesInterception {
					req.Prompt, req.Interception = text, "dada"
				} else {
					req.Text = text
				}
				if _, err := p.Start(context.Background(), req); err != nil {
					t.Fatal(err)
				}
			}
			start("h", "run-h0")
			if got := g.next(t); got != "run-h0" {
				t.Fatalf("first call from %q", got)
			}
			var order []string
			for _, s := range []struct {
				client string
				runs   int
			}{{"a", 5}, {"b", 1}, {"c", 1}, {"d", 1}, {"e", 1}} {
				for i := range s.runs {
					name := fmt.Sprintf("run-%s%d", s.client, i)
					start(s.client, name)
					order = append(order, name)
					within(t, 5*time.Second, name+" waits", func() bool { return waiting() == len(order) })
				}
			}
			var got []string
			for range order {
				g.open(t)
				got = append(got, g.next(t))
			}
			g.open(t)
			want := []string{"run-a0", "run-b0", "run-c0", "run-d0", "run-e0", "run-a1", "run-a2", "run-a3", "run-a4"}
			if !slices.Equal(got, want) {
				t.Fatalf("served %v, want %v", got, want)
			}
		})
	}
}
