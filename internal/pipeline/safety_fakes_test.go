package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/safety"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// fakeFilter is a Filter whose behaviour is its function field; it records
// every text it checked. A nil check plays a small filter: "FORBIDDEN"
// blocks (a §86a term, not shown), "knife" asks the judge (shown).
type fakeFilter struct {
	check func(text string, level safety.Level) safety.Result

	mu   sync.Mutex
	seen []string
}

func (f *fakeFilter) Check(text string, level safety.Level) safety.Result {
	f.mu.Lock()
	f.seen = append(f.seen, text)
	f.mu.Unlock()
	if f.check != nil {
		return f.check(text, level)
	}
	checks := []string{"filter_86a", "filter_" + string(level)}
	switch {
	case strings.Contains(text, "FORBIDDEN"):
		return safety.Result{Decision: safety.Block, Category: safety.CategoryForbidden, Checks: checks,
			Hits: []safety.Hit{{List: "86a", Category: safety.CategoryForbidden, Term: "forbidden-term", Show: false}}}
	case strings.Contains(text, "knife") && level != safety.Research:
		return safety.Result{Decision: safety.Judge, Category: safety.CategoryViolence, Checks: checks,
			Hits: []safety.Hit{{List: string(level), Category: safety.CategoryViolence, Term: "knife", Show: true}}}
	}
	return safety.Result{Decision: safety.Pass, Checks: checks}
}

// checked returns the texts the filter saw.
func (f *fakeFilter) checked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

// call is one LLM call a safetyLLM received.
type call struct {
	Model, User string
	Images      int
}

// safetyLLM plays every role by model: the judge (testModels.Safety)
// answers judge(user text), the vision model vision(), the others echo
// the user text (optimize, when set, answers the optimisation). It records
// every call.
type safetyLLM struct {
	judge    func(text string) (string, error)
	vision   func() (string, error)
	optimize func(text string) string
	suggest  string

	mu    sync.Mutex
	calls []call
}

func (f *safetyLLM) Backend(string) string { return "fake" }

func (f *safetyLLM) Chat(ctx context.Context, req llm.Request, fn func(string) error) (string, error) {
	user := req.Messages[len(req.Messages)-1]
	f.mu.Lock()
	f.calls = append(f.calls, call{Model: req.Model, User: user.Content, Images: len(user.Images)})
	f.mu.Unlock()
	switch req.Model {
	case testModels.Safety:
		if f.judge != nil {
			return f.judge(user.Content)
		}
		if strings.Contains(user.Content, "knife") || strings.Contains(user.Content, "UNSAFE-TEST") {
			return "UNSAFE\nviolence", nil
		}
		return "SAFE", nil
	case testModels.Vision:
		if f.vision != nil {
			return f.vision()
		}
		return "SAFE", nil
	case testModels.Optimization:
		if f.optimize != nil {
			return f.optimize(user.Content), nil
		}
	case testModels.Interception:
		if strings.Contains(req.Messages[0].Content, "harmless") || strings.Contains(req.Messages[0].Content, "unbedenklich") {
			return f.suggest, nil
		}
	}
	return user.Content, nil
}

// callsTo returns the calls to model.
func (f *safetyLLM) callsTo(model string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.Model == model {
			out = append(out, c)
		}
	}
	return out
}

// safetyEvents returns the safety events of a run's events.
func safetyEvents(evs []api.Payload) []api.SafetyEvent {
	var out []api.SafetyEvent
	for _, e := range evs {
		if s, ok := e.(api.SafetyEvent); ok {
			out = append(out, s)
		}
	}
	return out
}

// plainOutputDir is a config dir with output "plain": sd35_large without
// an optimisation instruction.
func plainOutputDir(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "catalog", "builtin", "output", "sd35_large.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "optimization_instruction")
	out, _ := json.Marshal(m)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "output"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "output", "plain.json"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// stageDetail decodes stage n's Detail of a stored run into v.
func stageDetail(t *testing.T, r *store.Run, n int, v any) {
	t.Helper()
	if err := json.Unmarshal(stageOf(t, r, n).Detail, v); err != nil {
		t.Fatalf("stage %d detail: %v", n, err)
	}
}
