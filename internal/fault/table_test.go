package fault

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/supervisor"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

func TestEveryCodeHasAStatusAndBothMessages(t *testing.T) {
	for code, c := range codes {
		if c.status < 400 || c.status > 599 {
			t.Errorf("%s: status %d", code, c.status)
		}
		if c.msg.De == "" || c.msg.En == "" || c.msg.De == c.msg.En {
			t.Errorf("%s: messages %+v, want German and English", code, c.msg)
		}
	}
	for _, s := range sentinels {
		if _, ok := codes[s.code]; !ok {
			t.Errorf("sentinel %v maps to %s, which has no table entry", s.err, s.code)
		}
	}
}

func TestClassification(t *testing.T) {
	upstream := errors.New(`<html>Authorization: Bearer secret123</html>`)
	cases := []struct {
		name   string
		err    error
		code   api.Code
		status int
	}{
		{"blocked", fmt.Errorf("stage 1: %w", ErrBlocked), api.CodeBlocked, 422},
		{"safety check down wins over the llm error", fmt.Errorf("stage 1: %w: %w", ErrSafetyUnavailable, llm.ErrUnavailable), api.CodeSafetyUnavailable, 503},
		{"model missing", fmt.Errorf("stage 2: %w: %w", llm.ErrModelNotFound, upstream), api.CodeModelNotFound, 503},
		{"empty answer", fmt.Errorf("stage 2: %w", llm.ErrEmptyAnswer), api.CodeLLMEmptyAnswer, 502},
		{"model load", errors.Join(llm.ErrModelLoad, llm.ErrUpstream, errors.New("/usr/lib/ollama/runner: load failed")), api.CodeModelLoadFailed, 502},
		{"llm down", fmt.Errorf("x: %w", llm.ErrUnavailable), api.CodeLLMUnavailable, 502},
		{"llm timeout", errors.Join(llm.ErrTimeout, context.DeadlineExceeded), api.CodeLLMTimeout, 504},
		{"llm garbage", errors.Join(llm.ErrBadResponse, upstream), api.CodeLLMBadResponse, 502},
		{"llm error", &llm.StatusError{Provider: "ollama", StatusCode: 500, Message: "Bearer secret123"}, api.CodeLLMError, 502},
		{"comfy down", fmt.Errorf("x: %w", comfy.ErrUnavailable), api.CodeBackendUnavailable, 503},
		{"swarm down", fmt.Errorf("x: %w", swarm.ErrUnavailable), api.CodeBackendUnavailable, 503},
		{"supervisor", fmt.Errorf("image backend: %w", supervisor.ErrStartFailed), api.CodeBackendUnavailable, 503},
		{"no images", fmt.Errorf("x: %w", comfy.ErrNoImages), api.CodeBackendBadResponse, 502},
		{"workflow rejected", &comfy.PromptError{Message: "Bearer secret123"}, api.CodeWorkflowRejected, 502},
		{"comfy timeout wins over the deadline", errors.Join(comfy.ErrTimeout, context.DeadlineExceeded), api.CodeGenerationTimeout, 504},
		{"comfy image too large", fmt.Errorf("x: %w", comfy.ErrImageTooLarge), api.CodeBackendBadResponse, 502},
		{"swarm image too large", fmt.Errorf("x: %w", swarm.ErrImageTooLarge), api.CodeBackendBadResponse, 502},
		{"comfy 500 page", &comfy.StatusError{Op: "view", StatusCode: 500}, api.CodeBackendBadResponse, 502},
		{"comfy behind a proxy that is down", &comfy.StatusError{Op: "view", StatusCode: 503}, api.CodeBackendUnavailable, 503},
		{"swarm 502", &swarm.ResponseError{Status: 502}, api.CodeBackendUnavailable, 503},
		{"swarm garbage", &swarm.ResponseError{Status: 200}, api.CodeBackendBadResponse, 502},
		{"swarm session", fmt.Errorf("x: %w", swarm.ErrInvalidSession), api.CodeBackendUnavailable, 503},
		{"swarm failed", fmt.Errorf("x: %w", swarm.ErrGenerationFailed), api.CodeGenerationFailed, 502},
		{"comfy execution error", &comfy.ExecutionError{}, api.CodeGenerationFailed, 502},
		{"comfy interrupted", fmt.Errorf("x: %w", comfy.ErrInterrupted), api.CodeGenerationInterrupted, 502},
		{"queue full", fmt.Errorf("x: %w", ErrQueueFull), api.CodeQueueFull, 429},
		{"store failed", fmt.Errorf("x: %w", ErrStoreFailed), api.CodeStoreFailed, 500},
		{"validation", Invalid("prompt", "Bitte schreib zuerst deine Idee auf.", "Please write your idea first."), api.CodeInvalidRequest, 400},
		{"unknown", upstream, api.CodeInternal, 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Code(tc.err); got != tc.code {
				t.Fatalf("Code = %s, want %s", got, tc.code)
			}
			if got := Status(tc.code); got != tc.status {
				t.Fatalf("Status(%s) = %d, want %d", tc.code, got, tc.status)
			}
			for _, lang := range []string{"de", "en"} {
				d := Describe(tc.err, lang)
				if strings.Contains(d.Message, "secret123") || strings.Contains(d.Message, "<html>") {
					t.Fatalf("Describe(%s) passes upstream text to the student: %q", lang, d.Message)
				}
				if d.Message == "" {
					t.Fatalf("Describe(%s) has no message", lang)
				}
			}
		})
	}
}

type hinted struct{ error }

func (hinted) Hint() string    { return "ollama pull llama3.1:8b" }
func (h hinted) Unwrap() error { return h.error }

func TestDescribeLanguagesFieldsAndHints(t *testing.T) {
	v := Invalid("prompt", "Bitte schreib zuerst deine Idee auf.", "Please write your idea first.")
	if d := Describe(fmt.Errorf("wrapped: %w", v), "en"); d.Message != "Please write your idea first." || d.Field != "prompt" {
		t.Fatalf("validation in English = %+v", d)
	}
	if d := Describe(v, "de"); d.Message != "Bitte schreib zuerst deine Idee auf." {
		t.Fatalf("validation in German = %+v", d)
	}
	if d := Describe(v, "fr"); d.Message != "Bitte schreib zuerst deine Idee auf." {
		t.Fatalf("an unknown language falls back to German: %+v", d)
	}
	d := Describe(hinted{fmt.Errorf("x: %w", llm.ErrModelNotFound)}, "en")
	if d.Code != api.CodeModelNotFound || !strings.HasSuffix(d.Message, "(ollama pull llama3.1:8b)") {
		t.Fatalf("hint = %+v", d)
	}
	if d := Describe(New(api.CodeNotFound, "weg", "gone"), "en"); d.Code != api.CodeNotFound || d.Message != "gone" {
		t.Fatalf("own error = %+v", d)
	}
	if Status("no_such_code") != http.StatusInternalServerError {
		t.Fatal("an unknown code is not 500")
	}
}

// TestDocsListEveryCode keeps the error table of docs/api.md in step with
// this package's table: the same codes with the same statuses.
func TestDocsListEveryCode(t *testing.T) {
	raw, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[api.Code]int{}
	_, table, _ := strings.Cut(string(raw), "| Code | Status | Meaning |")
	for line := range strings.SplitSeq(table, "\n") {
		var code string
		var status int
		if n, _ := fmt.Sscanf(line, "| `%s | %d |", &code, &status); n == 2 {
			documented[api.Code(strings.TrimSuffix(code, "`"))] = status
		}
	}
	for code, c := range codes {
		if got, ok := documented[code]; !ok || got != c.status {
			t.Errorf("docs/api.md: %s documented as %d (listed %v), want %d", code, got, ok, c.status)
		}
	}
	for code := range documented {
		if _, ok := codes[code]; !ok {
			t.Errorf("docs/api.md lists %s, which the table does not have", code)
		}
	}
}
