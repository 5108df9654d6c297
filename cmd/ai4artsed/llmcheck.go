package main

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/pipeline"
)

// modelCheckTimeout bounds the start-up look at Ollama's model list.
const modelCheckTimeout = 3 * time.Second

// checkLLM logs, at server start, the LLM slots in use per backend and,
// for every Ollama machine of the pool, a warning with the `ollama pull`
// command for every configured Ollama model the machine does not have
// (a machine with a model list is checked for the listed models only). It
// never fails: a machine that does not answer within modelCheckTimeout
// gets one warning; the machines are checked side by side.
func checkLLM(ctx context.Context, s Settings, machines []*pipeline.LLMMachine, log *slog.Logger) {
	slots := []any{"ollama", s.LLMSlots}
	if s.OpenAIBaseURL != "" {
		slots = append(slots, "openai", s.LLMSlots)
	}
	log.Info("llm slots per backend (AI4ARTSED_LLM_SLOTS must match OLLAMA_NUM_PARALLEL of the Ollama server, default 1; see docs/ollama.md)", slots...)

	var names []string
	seen := map[string]bool{}
	for _, m := range []string{s.ModelInterception, s.ModelSafety, s.ModelTranslation, s.ModelOptimization} {
		provider, name, err := llm.ParseModel(m)
		if err != nil || provider != llm.ProviderOllama || seen[name] {
			continue
		}
		seen[name] = true
		names = append(names, name)
	}
	if len(names) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, modelCheckTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, m := range machines {
		ollama, ok := m.Client.(*llm.Ollama)
		if !ok || m.Provider != llm.ProviderOllama {
			continue
		}
		want := names
		if m.Models != nil {
			want = slices.DeleteFunc(slices.Clone(names), func(n string) bool {
				return !slices.ContainsFunc(m.Models, func(l string) bool { return llm.OllamaName(l) == llm.OllamaName(n) })
			})
		}
		if len(want) == 0 {
			continue
		}
		wg.Go(func() {
			missing, err := ollama.Missing(ctx, want)
			if err != nil {
				log.Warn("could not check the configured models on an Ollama machine", "machine", m.Name, "err", err)
				return
			}
			for _, name := range missing {
				log.Warn("configured model is not installed on an Ollama machine: its calls go to the others, or fail",
					"machine", m.Name, "model", name, "fix", "ollama pull "+name)
			}
		})
	}
	wg.Wait()
}
