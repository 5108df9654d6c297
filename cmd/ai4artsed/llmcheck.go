package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/llm"
)

// modelCheckTimeout bounds the start-up look at Ollama's model list.
const modelCheckTimeout = 3 * time.Second

// checkLLM logs, at server start, the LLM slots in use per backend and a
// warning with the `ollama pull` command for every configured Ollama model
// the server does not have. It never fails: a backend that does not answer
// within modelCheckTimeout gets one warning.
func checkLLM(ctx context.Context, s Settings, ollama *llm.Ollama, log *slog.Logger) {
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
	if ollama == nil || len(names) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, modelCheckTimeout)
	defer cancel()
	missing, err := ollama.Missing(ctx, names)
	if err != nil {
		log.Warn("could not check the configured models on Ollama", "url", s.OllamaURL, "err", err)
		return
	}
	for _, name := range missing {
		log.Warn("configured model is not installed on Ollama: runs that need it will fail",
			"model", name, "fix", "ollama pull "+name)
	}
}
