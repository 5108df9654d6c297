package pipeline

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// requester answers RequestCancel with err and records the ids asked for.
type requester struct {
	err   error
	asked []string
}

func (r *requester) RequestCancel(_ context.Context, id string) error {
	r.asked = append(r.asked, id)
	return r.err
}

// TestCancelOfARunElsewhere: with replicas, a cancel of a run not executing
// here is requested through the store, and its answer keeps the single
// server's meaning.
func TestCancelOfARunElsewhere(t *testing.T) {
	down := errors.New("database down")
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"running elsewhere", nil, nil},
		{"unknown", fmt.Errorf("x: %w", store.ErrNotFound), fault.ErrNotFound},
		{"finished", fmt.Errorf("x: %w", store.ErrConflict), fault.ErrFinished},
		{"store fails", down, down},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := &requester{err: tc.err}
			p := New(Config{Replica: "me", Requests: req})
			err := p.Cancel(context.Background(), "r1")
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("Cancel = %v; want %v", err, tc.want)
			}
			if len(req.asked) != 1 || req.asked[0] != "r1" {
				t.Fatalf("requested %v", req.asked)
			}
			if p.CancelLocal("r1") {
				t.Fatal("CancelLocal of a run executing elsewhere reported true")
			}
		})
	}
}

// TestRunsRecordTheirReplica: a run started here names this replica as its
// owner, and a cancel of it is not sent through the store.
func TestRunsRecordTheirReplica(t *testing.T) {
	// The interception waits until cancelled: the run executes here when
	// the cancel comes.
	p, db, hub := newPipeline(t, &fakeLLM{chat: func(ctx context.Context, _ llm.Request, _ func(string) error) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	}})
	req := &requester{}
	p.cfg.Replica, p.cfg.Requests = "replica-7", req
	run, err := p.Start(context.Background(), Request{Stages: StagesInterception, Prompt: "ein Haus", Interception: "renaissance"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Cancel(context.Background(), run.ID); err != nil {
		t.Fatalf("Cancel = %v", err)
	}
	waitDone(t, hub, run.ID)
	if got := runOf(t, db, run.ID); got.Owner != "replica-7" || got.State != store.StateCancelled {
		t.Fatalf("run = owner %q, %s", got.Owner, got.State)
	}
	if len(req.asked) != 0 {
		t.Fatalf("a cancel of a run executing here went to the store: %v", req.asked)
	}
}
