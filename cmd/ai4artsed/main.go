// Command ai4artsed serves the ai4artsed pipeline and its tools.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	tuneGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr, getenv)
	case "run":
		return runRun(ctx, args[1:], stdout, stderr, getenv)
	case "configs":
		return runConfigs(args[1:], stdout, stderr, getenv)
	case "simulate":
		return runSimulate(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return 0
	case "users":
		return runUsers(ctx, args[1:], stdin, stdout, stderr, getenv)
	case "workflow":
		return runWorkflow(ctx, args[1:], stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "ai4artsed: unknown command %q\n%s\n", args[0], usage)
	return 2
}

const usage = `usage: ai4artsed <command> [flags]

commands:
  serve [--addr A] [--demo]             serve the web UI and the API
  run [--server URL] [--interception ID] [--output ID] [--demo] PROMPT
  configs check [DIR]                   validate configs and workflows
  workflow inject-loras [--target NODE] --lora NAME:STRENGTH[:CLIP]... FILE|-
  users add|list|remove|passwd [NAME] [--role teacher|admin]
  simulate ollama|comfyui|swarmui [--addr A] [latency flags]`
