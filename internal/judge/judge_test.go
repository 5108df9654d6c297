package judge

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/safety"
)

// fakeCaller answers every call with its function and counts the calls.
type fakeCaller struct {
	answer func(ctx context.Context, req llm.Request, limit time.Duration) (llm.Result, error)

	mu    sync.Mutex
	calls []llm.Request
}

func (f *fakeCaller) call(ctx context.Context, req llm.Request, limit time.Duration) (llm.Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, req)
	f.mu.Unlock()
	return f.answer(ctx, req, limit)
}

func (f *fakeCaller) n() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func answer(r llm.Result, err error) *fakeCaller {
	return &fakeCaller{answer: func(context.Context, llm.Request, time.Duration) (llm.Result, error) { return r, err }}
}

// TestVerdictsPerLevel: every answer shape and failure, and whether it
// blocks at each level.
func TestVerdictsPerLevel(t *testing.T) {
	levels := []safety.Level{safety.Kids, safety.Youth, safety.Adult, safety.Research}
	cases := []struct {
		name    string
		caller  *fakeCaller
		outcome Outcome
		cat     safety.Category
		errIs   error
		blocks  []bool // per level: kids, youth, adult, research
	}{
		{"plain safe", answer(llm.Result{Text: "SAFE"}, nil), Safe, "", nil, []bool{false, false, false, false}},
		{"plain unsafe", answer(llm.Result{Text: "UNSAFE: blood"}, nil), Unsafe, safety.CategoryOther, nil, []bool{true, true, true, false}},
		{"llama guard", answer(llm.Result{Text: "unsafe\nS1"}, nil), Unsafe, safety.CategoryViolence, nil, []bool{true, true, true, false}},
		{"think tags", answer(llm.Result{Text: "<think>hmm</think>SAFE"}, nil), Safe, "", nil, []bool{false, false, false, false}},
		{"thinking only", answer(llm.Result{Thinking: "Looks like a weapon aimed at a child. UNSAFE"}, nil), Unsafe, safety.CategoryOther, nil, []bool{true, true, true, false}},
		{"json", answer(llm.Result{Text: `{"verdict":"unsafe","category":"sexual"}`}, nil), Unsafe, safety.CategorySexual, nil, []bool{true, true, true, false}},
		{"garbage", answer(llm.Result{Text: "I like turtles"}, nil), Unknown, "", ErrUnparseable, []bool{true, true, false, false}},
		{"thinking model with no answer at all", answer(llm.Result{}, llm.ErrEmptyAnswer), Unknown, "", ErrUnavailable, []bool{true, true, false, false}},
		{"down", answer(llm.Result{}, llm.ErrUnavailable), Unknown, "", ErrUnavailable, []bool{true, true, false, false}},
		{"missing model", answer(llm.Result{}, llm.ErrModelNotFound), Unknown, "", ErrUnavailable, []bool{true, true, false, false}},
		{"timeout", &fakeCaller{answer: func(ctx context.Context, _ llm.Request, limit time.Duration) (llm.Result, error) {
			ctx, cancel := context.WithTimeout(ctx, limit)
			defer cancel()
			<-ctx.Done()
			return llm.Result{}, ctx.Err()
		}}, Unknown, "", ErrUnavailable, []bool{true, true, false, false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i, level := range levels {
				j := New(Config{Model: "ollama/guard", Timeout: 20 * time.Millisecond, CacheSize: -1})
				v, err := j.Check(context.Background(), Input{Text: "a picture", Level: level, Lang: "en"}, tc.caller.call)
				if err != nil {
					t.Fatalf("%s: Check error %v", level, err)
				}
				if v.Outcome != tc.outcome || v.Category != tc.cat || v.Model != "ollama/guard" {
					t.Fatalf("%s: verdict %+v, want %s %q", level, v, tc.outcome, tc.cat)
				}
				if tc.errIs != nil && !errors.Is(v.Err, tc.errIs) {
					t.Fatalf("%s: err %v, want %v", level, v.Err, tc.errIs)
				}
				if got := v.Blocks(level); got != tc.blocks[i] {
					t.Fatalf("%s: Blocks = %v, want %v", level, got, tc.blocks[i])
				}
			}
		})
	}
}

func TestRequestCarriesOurPromptForLevelAndLanguage(t *testing.T) {
	f := answer(llm.Result{Text: "SAFE"}, nil)
	j := New(Config{Model: "ollama/guard", Timeout: time.Second})
	for _, tc := range []struct {
		level safety.Level
		lang  string
		says  string
	}{
		{safety.Kids, "de", "8 bis 12"}, {safety.Youth, "en", "13 to 17"}, {safety.Adult, "en", "§86a"},
	} {
		if _, err := j.Check(context.Background(), Input{Text: "ein Hund", Level: tc.level, Lang: tc.lang}, f.call); err != nil {
			t.Fatal(err)
		}
		req := f.calls[len(f.calls)-1]
		if len(req.Messages) != 2 || req.Messages[0].Role != "system" || !strings.Contains(req.Messages[0].Content, tc.says) ||
			!strings.Contains(req.Messages[0].Content, "UNSAFE") || !strings.Contains(req.Messages[1].Content, "<<<\nein Hund\n>>>") {
			t.Fatalf("%s/%s request %+v", tc.level, tc.lang, req.Messages)
		}
	}
}

func TestCancelledRunIsAnErrorNotAVerdict(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := &fakeCaller{answer: func(ctx context.Context, _ llm.Request, _ time.Duration) (llm.Result, error) {
		return llm.Result{}, ctx.Err()
	}}
	if _, err := New(Config{Model: "m"}).Check(ctx, Input{Text: "x", Level: safety.Kids}, f.call); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

func TestCache(t *testing.T) {
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	f := answer(llm.Result{Text: "UNSAFE\nviolence"}, nil)
	j := New(Config{Model: "m", CacheSize: 2, CacheTTL: time.Minute, Now: clock})
	check := func(text string, level safety.Level) Verdict {
		t.Helper()
		v, err := j.Check(context.Background(), Input{Text: text, Level: level, Lang: "en"}, f.call)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	check("A  Knife", safety.Kids)
	if v := check("a knife", safety.Kids); !v.Cached || f.n() != 1 || v.Outcome != Unsafe {
		t.Fatalf("normalised text not served from the cache: %+v after %d calls", v, f.n())
	}
	check("a knife", safety.Youth) // another level: another key
	if f.n() != 2 {
		t.Fatalf("%d calls, want 2", f.n())
	}
	check("a fork", safety.Kids) // evicts the least recently used: a knife/kids
	check("a knife", safety.Youth)
	check("a knife", safety.Kids)
	if f.n() != 4 || j.cache.len() != 2 {
		t.Fatalf("%d calls, %d entries; want 4 and 2", f.n(), j.cache.len())
	}
	now = now.Add(2 * time.Minute)
	if v := check("a fork", safety.Kids); v.Cached {
		t.Fatal("expired verdict served")
	}
	// Failures are never cached.
	g := answer(llm.Result{}, llm.ErrUnavailable)
	for range 2 {
		if _, err := j.Check(context.Background(), Input{Text: "new", Level: safety.Kids}, g.call); err != nil {
			t.Fatal(err)
		}
	}
	if g.n() != 2 {
		t.Fatalf("a failed verdict was cached: %d calls", g.n())
	}
}

func TestCheckImageSendsTheImageToTheVisionModel(t *testing.T) {
	f := answer(llm.Result{Text: "SAFE"}, nil)
	j := New(Config{Model: "m", VisionModel: "ollama/vision"})
	v, err := j.CheckImage(context.Background(), []byte("png"), Input{Level: safety.Kids, Lang: "de"}, f.call)
	if err != nil || v.Outcome != Safe {
		t.Fatalf("%+v %v", v, err)
	}
	req := f.calls[0]
	if req.Model != "ollama/vision" || len(req.Messages[1].Images) != 1 || !strings.Contains(req.Messages[0].Content, "Bild") {
		t.Fatalf("request %+v", req)
	}
}
