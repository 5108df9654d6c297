package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
	"github.com/ai4artsed/ai4artsed/internal/sim/swarmsim"
)

// machines are the simulated LLM and image machines of one class, served
// in-process on loopback ports.
type machines struct {
	llms     []*ollamasim.Server
	images   []*swarmsim.Server
	llmURLs  []string
	swarmURL []string
	comfyURL []string
	llmSlots int
	servers  []*http.Server
}

// machineSpec is how the machines of a class are simulated (times already
// scaled).
type machineSpec struct {
	LLMMachines, ImageMachines int
	LLMSlots                   int // per LLM machine (Ollama's OLLAMA_NUM_PARALLEL)
	LLMModels                  []string
	FirstToken, Token          time.Duration
	LLMLoad                    time.Duration // 0: models stay loaded
	LLMRoom                    int           // models loaded at once per LLM machine; 0: no limit
	StepDelay, CheckpointLoad  time.Duration
	Checkpoints                []string
}

// startMachines starts the simulators of spec.
func startMachines(spec machineSpec) (*machines, error) {
	m := &machines{llmSlots: spec.LLMSlots}
	for range spec.LLMMachines {
		sim := ollamasim.New(ollamasim.Options{
			Models: spec.LLMModels, FirstTokenDelay: spec.FirstToken, TokenDelay: spec.Token,
			LoadDelay: spec.LLMLoad, MaxLoadedModels: spec.LLMRoom, Parallel: spec.LLMSlots,
		})
		u, err := m.listen(sim)
		if err != nil {
			m.close()
			return nil, err
		}
		m.llms, m.llmURLs = append(m.llms, sim), append(m.llmURLs, u)
	}
	for range spec.ImageMachines {
		sim := swarmsim.New(swarmsim.Options{
			Models: spec.Checkpoints,
			Comfy:  comfysim.Options{StepDelay: spec.StepDelay, CheckpointLoadDelay: spec.CheckpointLoad},
		})
		m.images = append(m.images, sim)
		su, err := m.listen(sim)
		if err != nil {
			m.close()
			return nil, err
		}
		cu, err := m.listen(sim.Comfy())
		if err != nil {
			m.close()
			return nil, err
		}
		m.swarmURL, m.comfyURL = append(m.swarmURL, su), append(m.comfyURL, cu)
	}
	return m, nil
}

func (m *machines) listen(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	m.servers = append(m.servers, srv)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("ai4artsed-load: simulator stopped:", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// env points the server at the machines.
func (m *machines) env() map[string]string {
	return map[string]string{
		"OLLAMA_URL":  strings.Join(m.llmURLs, ","),
		"SWARMUI_URL": strings.Join(m.swarmURL, ","),
		"COMFYUI_URL": strings.Join(m.comfyURL, ","),
	}
}

// figures reads each machine's counters.
func (m *machines) figures(imageSlots int) []machineFigures {
	var out []machineFigures
	for i, s := range m.llms {
		out = append(out, machineFigures{Name: fmt.Sprintf("llm-%d", i+1), Kind: "llm", Loads: s.Loads(),
			Busy: s.Busy(), MaxCalls: s.MaxRequests(), Slots: m.llmSlots, Calls: len(s.Requests())})
	}
	for i, s := range m.images {
		out = append(out, machineFigures{Name: fmt.Sprintf("image-%d", i+1), Kind: "image", Loads: s.Comfy().CheckpointLoads(),
			Busy: s.Busy(), MaxCalls: s.MaxInFlight(), Slots: imageSlots, Calls: len(s.Requests())})
	}
	return out
}

// llmCalls returns every finished LLM generation of every machine.
func (m *machines) llmCalls() []ollamasim.Recorded {
	var out []ollamasim.Recorded
	for _, s := range m.llms {
		for _, r := range s.Requests() {
			if r.Completed {
				out = append(out, r)
			}
		}
	}
	return out
}

// close stops the simulators.
func (m *machines) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, srv := range m.servers {
		_ = srv.Shutdown(ctx)
		_ = srv.Close()
	}
	for _, s := range m.images {
		s.Close()
	}
}
