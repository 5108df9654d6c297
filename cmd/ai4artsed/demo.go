package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
	"github.com/ai4artsed/ai4artsed/internal/sim/swarmsim"
)

// demoSims are the simulators `serve --demo` runs in-process on free
// loopback ports.
type demoSims struct {
	Ollama  *ollamasim.Server   // the first LLM machine
	Ollamas []*ollamasim.Server // every LLM machine (--machines)
	Swarm   *swarmsim.Server    // the first image machine
	Swarms  []*swarmsim.Server  // every image machine (--machines)

	OllamaURL, SwarmURL, ComfyURL string
	servers                       []*http.Server
}

// startDemo starts sim.Machines Ollama simulators and as many SwarmUI
// simulators (each with its ComfyUI backend); their model lists hold every
// model the configs name.
func startDemo(sim SimSettings, cat *catalog.Catalog, models []string, log *slog.Logger) (*demoSims, error) {
	d := &demoSims{}
	var llmModels []string
	for _, m := range models {
		if _, name, err := llm.ParseModel(m); err == nil {
			llmModels = append(llmModels, name)
		}
	}
	for i := range max(sim.Machines, 1) {
		d.Ollamas = append(d.Ollamas, ollamasim.New(ollamasim.Options{
			Models: llmModels, FirstTokenDelay: sim.FirstTokenDelay, TokenDelay: sim.TokenDelay,
			StartupDelay: sim.StartupDelay, Logger: log.With("sim", "ollama", "machine", i+1),
			LoadDelay: sim.LoadDelay, MaxLoadedModels: sim.MaxLoadedModels,
			Parallel: -1, // the demo serves every LLM slot at once, whatever AI4ARTSED_LLM_SLOTS says
		}))
	}
	d.Ollama = d.Ollamas[0]
	files, loras := cat.ModelFiles()
	var swarmURLs, comfyURLs []string
	for i := range max(sim.Machines, 1) {
		sw := swarmsim.New(swarmsim.Options{
			Comfy: comfysim.Options{
				StepDelay: sim.StepDelay, StartupDelay: sim.StartupDelay, CheckpointLoadDelay: sim.CheckpointDelay,
				Checkpoints: files, UNets: files, CLIPs: files, VAEs: files, LoRAs: loras,
				Logger: log.With("sim", "comfyui", "machine", i+1),
			},
			StartupDelay: sim.StartupDelay, Models: files, LoRAs: loras, Logger: log.With("sim", "swarmui", "machine", i+1),
		})
		d.Swarms = append(d.Swarms, sw)
		if i == 0 {
			d.Swarm = sw
		}
		su, err := d.listen(sw)
		if err != nil {
			d.Close()
			return nil, err
		}
		cu, err := d.listen(sw.Comfy())
		if err != nil {
			d.Close()
			return nil, err
		}
		swarmURLs, comfyURLs = append(swarmURLs, su), append(comfyURLs, cu)
	}
	d.SwarmURL, d.ComfyURL = strings.Join(swarmURLs, ","), strings.Join(comfyURLs, ",")
	var ollamaURLs []string
	for _, o := range d.Ollamas {
		u, err := d.listen(o)
		if err != nil {
			d.Close()
			return nil, err
		}
		ollamaURLs = append(ollamaURLs, u)
	}
	d.OllamaURL = strings.Join(ollamaURLs, ",")
	log.Info("demo simulators running", "ollama", d.OllamaURL, "swarmui", d.SwarmURL, "comfyui", d.ComfyURL,
		"safety", "the simulated judge and vision model block texts with "+ollamasim.UnsafeMarker+" or words like knife, blood, Messer, Blut")
	return d, nil
}

func (d *demoSims) listen(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("demo: listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	d.servers = append(d.servers, srv)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("demo simulator stopped", "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// apply points the settings at the simulators.
func (d *demoSims) apply(s *Settings) {
	s.OllamaURL, s.SwarmURL, s.ComfyURL = d.OllamaURL, d.SwarmURL, d.ComfyURL
	s.OpenAIBaseURL = ""
	for _, m := range []*string{&s.ModelInterception, &s.ModelSafety, &s.ModelTranslation, &s.ModelOptimization, &s.ModelVision} {
		if strings.HasPrefix(*m, "openai/") {
			*m = "ollama/" + strings.TrimPrefix(*m, "openai/")
		}
	}
	s.SwarmAutoStart = false
}

// Close stops the simulators.
func (d *demoSims) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, srv := range d.servers {
		_ = srv.Shutdown(ctx)
		_ = srv.Close()
	}
	for _, sw := range d.Swarms {
		sw.Close()
	}
}
