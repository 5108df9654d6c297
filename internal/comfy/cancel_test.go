package comfy_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
)

// genResult carries a Generate outcome out of a goroutine.
type genResult struct {
	res *comfy.Result
	err error
}

func goGenerate(ctx context.Context, c *comfy.Client, job comfy.Job) <-chan genResult {
	ch := make(chan genResult, 1)
	go func() {
		res, err := c.Generate(ctx, job)
		ch <- genResult{res, err}
	}()
	return ch
}

func promptStatus(sim *comfysim.Server, id string) string {
	for _, p := range sim.Prompts() {
		if p.PromptID == id {
			return p.Status
		}
	}
	return ""
}

func TestCancelRunningInterruptsOnlyOurPrompt(t *testing.T) {
	env := newSimEnv(t, comfysim.Options{StepDelay: 20 * time.Millisecond})
	other := comfy.New(env.srv.URL, env.srv.Client())

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ourID := make(chan string, 1)
	started := make(chan struct{}, 1)
	ours := goGenerate(ctx, env.client, comfy.Job{
		Graph:    txt2img{prompt: "ours", steps: 1000}.graph(),
		OnQueued: func(id string) { ourID <- id },
		OnProgress: func(comfy.Progress) {
			select {
			case started <- struct{}{}:
			default:
			}
		},
	})
	id := recv(t, ourID, "our prompt queued")
	recv(t, started, "our prompt running")

	otherID := make(chan string, 1)
	theirs := goGenerate(context.Background(), other, comfy.Job{
		Graph: txt2img{prompt: "theirs", steps: 3}.graph(), OnQueued: func(id string) { otherID <- id },
	})
	theirID := recv(t, otherID, "other prompt queued")
	cancel()

	r := recv(t, ours, "our Generate to return")
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Generate error = %v, want context.Canceled", r.err)
	}
	tr := recv(t, theirs, "other Generate to return")
	if tr.err != nil {
		t.Fatalf("other prompt failed: %v", tr.err)
	}
	if got := env.sim.Interrupted(); !slices.Equal(got, []string{id}) {
		t.Errorf("interrupted = %v, want exactly [%s]", got, id)
	}
	if s := promptStatus(env.sim, id); s != comfysim.StatusInterrupted {
		t.Errorf("our prompt status = %q, want interrupted", s)
	}
	if s := promptStatus(env.sim, theirID); s != comfysim.StatusSuccess {
		t.Errorf("other prompt status = %q, want success", s)
	}
}

func TestCancelPendingDeletesFromQueue(t *testing.T) {
	env := newSimEnv(t, comfysim.Options{StepDelay: 20 * time.Millisecond})
	other := comfy.New(env.srv.URL, env.srv.Client())

	blockCtx, stopBlocker := context.WithCancel(context.Background())
	defer stopBlocker()
	blockerStarted := make(chan struct{}, 1)
	blocker := goGenerate(blockCtx, other, comfy.Job{
		Graph: txt2img{prompt: "blocker", steps: 1000}.graph(),
		OnProgress: func(comfy.Progress) {
			select {
			case blockerStarted <- struct{}{}:
			default:
			}
		},
	})
	recv(t, blockerStarted, "blocker running")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ourID := make(chan string, 1)
	ours := goGenerate(ctx, env.client, comfy.Job{
		Graph: txt2img{prompt: "ours"}.graph(), OnQueued: func(id string) { ourID <- id },
	})
	id := recv(t, ourID, "our prompt queued")
	_, pending, err := env.client.Queue(context.Background())
	if err != nil || !slices.Contains(pending, id) {
		t.Fatalf("pending = %v (err %v), want it to hold %s", pending, err, id)
	}
	cancel()
	if r := recv(t, ours, "our Generate to return"); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Generate error = %v, want context.Canceled", r.err)
	}
	if s := promptStatus(env.sim, id); s != comfysim.StatusDeleted {
		t.Errorf("our prompt status = %q, want deleted", s)
	}
	if got := env.sim.Interrupted(); len(got) != 0 {
		t.Errorf("interrupted = %v, want none", got)
	}
	_, pending, _ = env.client.Queue(context.Background())
	if slices.Contains(pending, id) {
		t.Errorf("prompt %s still pending", id)
	}
	stopBlocker()
	recv(t, blocker, "blocker to return")
}

func TestTimeout(t *testing.T) {
	env := newSimEnv(t, comfysim.Options{StepDelay: 20 * time.Millisecond})
	ourID := make(chan string, 1)
	start := time.Now()
	_, err := env.client.Generate(context.Background(), comfy.Job{
		Graph: txt2img{prompt: "slow", steps: 1000}.graph(), Timeout: 300 * time.Millisecond,
		OnQueued: func(id string) { ourID <- id },
	})
	if !errors.Is(err, comfy.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want ErrTimeout wrapping context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Generate took %v after a 300ms timeout", d)
	}
	id := recv(t, ourID, "prompt id")
	if got := env.sim.Interrupted(); !slices.Equal(got, []string{id}) {
		t.Errorf("interrupted = %v, want [%s]", got, id)
	}
}
