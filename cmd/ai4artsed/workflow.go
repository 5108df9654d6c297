package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/ai4artsed/ai4artsed/internal/graph"
)

const workflowUsage = `usage: ai4artsed workflow inject-loras [--target NODE] --lora NAME:STRENGTH[:CLIP_STRENGTH]... FILE|-

Prints the API-format workflow graph FILE (or stdin for -) with a chain of
LoraLoader nodes injected after its model loader, as indented JSON.`

// maxWorkflowSize bounds a workflow file read by the workflow commands.
const maxWorkflowSize = 32 << 20

// runWorkflow implements `ai4artsed workflow ...`. It returns 0 on success, 1 on
// a problem with the input, and 2 on a usage error.
func runWorkflow(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, workflowUsage)
		return 2
	}
	switch args[0] {
	case "inject-loras":
		return runInjectLoRAs(ctx, args[1:], stdin, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stderr, workflowUsage)
		return 0
	}
	fmt.Fprintf(stderr, "workflow: unknown subcommand %q\n%s\n", args[0], workflowUsage)
	return 2
}

// workflowLoRAFlags collects every value of a repeatable flag.
type workflowLoRAFlags []string

func (r *workflowLoRAFlags) String() string     { return strings.Join(*r, ", ") }
func (r *workflowLoRAFlags) Set(v string) error { *r = append(*r, v); return nil }

func runInjectLoRAs(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("workflow inject-loras", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, workflowUsage)
		fmt.Fprintln(stderr, "\nflags:")
		fs.PrintDefaults()
	}
	target := fs.String("target", "", "id or title of the model loader to inject after (needed when several loaders reach a sampler)")
	var specs workflowLoRAFlags
	fs.Var(&specs, "lora", "a LoRA as NAME:STRENGTH[:CLIP_STRENGTH]; repeat for a chain (CLIP_STRENGTH defaults to STRENGTH)")
	files, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2 // the flag package has printed the problem and the usage
	}
	if len(files) != 1 {
		fmt.Fprintf(stderr, "workflow inject-loras: want exactly one FILE or -, got %d\n%s\n", len(files), workflowUsage)
		return 2
	}
	if len(specs) == 0 {
		fmt.Fprintln(stderr, "workflow inject-loras: no --lora given; add at least one --lora NAME:STRENGTH")
		return 1
	}
	loras := make([]graph.LoRA, 0, len(specs))
	for _, s := range specs {
		l, err := graph.ParseLoRASpec(s)
		if err != nil {
			fmt.Fprintf(stderr, "workflow inject-loras: --lora %q: %v\n", s, err)
			return 1
		}
		loras = append(loras, l)
	}
	if err := ctx.Err(); err != nil {
		fmt.Fprintf(stderr, "workflow inject-loras: %v\n", err)
		return 1
	}
	out, err := injectLoRAs(files[0], stdin, *target, loras, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "workflow inject-loras: %v\n", err)
		return 1
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "workflow inject-loras: write: %v\n", err)
		return 1
	}
	return 0
}

// injectLoRAs reads, checks and rewrites one graph and returns it as indented JSON.
func injectLoRAs(file string, stdin io.Reader, target string, loras []graph.LoRA, stderr io.Writer) ([]byte, error) {
	name, data, err := readWorkflow(file, stdin)
	if err != nil {
		return nil, err
	}
	g, err := graph.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("%s: the graph has problems:\n%w", name, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if _, err := g.InjectLoRAs(target, loras, log); err != nil {
		if errors.Is(err, graph.ErrAmbiguousLoader) && target == "" {
			return nil, fmt.Errorf("%s: %w (use --target NODE)", name, err)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	raw, err := g.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func readWorkflow(file string, stdin io.Reader) (string, []byte, error) {
	name, r := file, stdin
	if file == "-" {
		name = "stdin"
	} else {
		f, err := os.Open(file)
		if err != nil {
			return "", nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxWorkflowSize+1))
	if err != nil {
		return "", nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxWorkflowSize {
		return "", nil, fmt.Errorf("%s: larger than %d MiB", name, maxWorkflowSize>>20)
	}
	return name, data, nil
}

// parseInterspersed parses flags that may come before or after the positional
// arguments, so `inject-loras wf.json --lora x:1` works; "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
