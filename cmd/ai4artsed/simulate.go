package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
	"github.com/ai4artsed/ai4artsed/internal/sim/ollamasim"
	"github.com/ai4artsed/ai4artsed/internal/sim/swarmsim"
)

// runSimulate implements `ai4artsed simulate ollama|comfyui|swarmui`.
func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: ai4artsed simulate ollama|comfyui|swarmui [--addr A] [latency flags]")
		return 2
	}
	kind := args[0]
	defaults := map[string]string{"ollama": "127.0.0.1:11434", "comfyui": "127.0.0.1:7821", "swarmui": "127.0.0.1:7801"}
	addrDefault, ok := defaults[kind]
	if !ok {
		fmt.Fprintf(stderr, "ai4artsed simulate: unknown simulator %q (want ollama, comfyui or swarmui)\n", kind)
		return 2
	}
	fs := flag.NewFlagSet("simulate "+kind, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", addrDefault, "listen address")
	comfyAddr := fs.String("comfy-addr", "127.0.0.1:7821", "swarmui only: where its ComfyUI backend listens")
	failAfter := fs.Int("fail-after-tokens", 0, "ollama only: fail mid-stream after this many tokens")
	parallel := fs.Int("parallel", 1, "ollama only: generations at once, as OLLAMA_NUM_PARALLEL (others wait inside); -1 = no limit")
	sim := defaultSettings().Sim
	simFlags(fs, &sim)
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	log := newLogger(stderr)
	cat, _, err := catalog.Load(catalog.Builtin(), "", log)
	if err != nil {
		fmt.Fprintln(stderr, "ai4artsed simulate:", err)
		return 1
	}
	files, loras := cat.ModelFiles()
	comfyOpts := comfysim.Options{StepDelay: sim.StepDelay, StartupDelay: sim.StartupDelay, CheckpointLoadDelay: sim.CheckpointDelay,
		Checkpoints: files, UNets: files, CLIPs: files, VAEs: files, LoRAs: loras, Logger: log}
	servers := map[string]http.Handler{}
	switch kind {
	case "ollama":
		d := defaultSettings()
		var models []string
		for _, m := range []string{d.ModelInterception, d.ModelSafety, d.ModelTranslation, d.ModelOptimization} {
			_, name, _ := llm.ParseModel(m)
			models = append(models, name)
		}
		servers[*addr] = ollamasim.New(ollamasim.Options{Models: models, FirstTokenDelay: sim.FirstTokenDelay,
			TokenDelay: sim.TokenDelay, StartupDelay: sim.StartupDelay, FailAfterTokens: *failAfter, Parallel: *parallel, Logger: log,
			LoadDelay: sim.LoadDelay, MaxLoadedModels: sim.MaxLoadedModels})
	case "comfyui":
		c := comfysim.New(comfyOpts)
		defer c.Close()
		servers[*addr] = c
	case "swarmui":
		sw := swarmsim.New(swarmsim.Options{Comfy: comfyOpts, StartupDelay: sim.StartupDelay, Models: files, LoRAs: loras, Logger: log})
		defer sw.Close()
		servers[*addr] = sw
		servers[*comfyAddr] = sw.Comfy()
	}
	if err := serveAll(ctx, servers, stdout, kind, log); err != nil {
		fmt.Fprintln(stderr, "ai4artsed simulate:", err)
		return 1
	}
	return 0
}

// serveAll listens on every address, then serves until ctx ends.
func serveAll(ctx context.Context, servers map[string]http.Handler, stdout io.Writer, kind string, log *slog.Logger) error {
	var running []*http.Server
	errc := make(chan error, len(servers))
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		for _, srv := range running {
			_ = srv.Shutdown(sctx)
			_ = srv.Close()
		}
	}()
	for addr, h := range servers {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", addr, err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		running = append(running, srv)
		fmt.Fprintf(stdout, "%s simulator listening on http://%s/\n", kind, ln.Addr())
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	select {
	case <-ctx.Done():
		log.Info("simulator stopping")
		return nil
	case err := <-errc:
		return err
	}
}
