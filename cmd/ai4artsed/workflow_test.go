package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const workflowSD = `{"3":{"class_type":"KSampler","inputs":{"seed":18446744073709551615,"model":["4",0],"positive":["6",0]}},` +
	`"4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"m.safetensors"},"_meta":{"title":"Base"}},` +
	`"6":{"class_type":"CLIPTextEncode","inputs":{"text":"x","clip":["4",1]}}}`

const workflowTwoLoaders = `{"3":{"class_type":"KSampler","inputs":{"model":["4",0]}},` +
	`"4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"base.safetensors"}},` +
	`"5":{"class_type":"KSampler","inputs":{"model":["7",0]}},` +
	`"7":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"refiner.safetensors"}}}`

// runWF runs the workflow command and returns exit code, stdout and stderr.
func runWF(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runWorkflow(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeWF(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "wf.json")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// lorasIn decodes printed output and returns lora_name → node for LoraLoader nodes.
func lorasIn(t *testing.T, out string) (map[string]map[string]any, map[string]any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var g map[string]map[string]any
	if err := dec.Decode(&g); err != nil {
		t.Fatalf("stdout is not a graph: %v\n%s", err, out)
	}
	loras := map[string]map[string]any{}
	for _, n := range g {
		if n["class_type"] == "LoraLoader" {
			in := n["inputs"].(map[string]any)
			loras[in["lora_name"].(string)] = in
		}
	}
	return loras, map[string]any{"3": g["3"]["inputs"]}
}

func TestWorkflowInjectLoRAs(t *testing.T) {
	file := writeWF(t, workflowSD)
	cases := []struct {
		name  string
		stdin string
		args  []string
	}{
		{"file", "", []string{"inject-loras", "--lora", "a.safetensors:0.8", "--lora", "sub/b.safetensors:0.5:0.25", file}},
		{"stdin", workflowSD, []string{"inject-loras", "--lora", "a.safetensors:0.8", "--lora=sub/b.safetensors:0.5:0.25", "-"}},
		{"flags after file", "", []string{"inject-loras", file, "--lora", "a.safetensors:0.8", "-lora", "sub/b.safetensors:0.5:0.25"}},
		{"target", workflowSD, []string{"inject-loras", "--target", "Base", "--lora", "a.safetensors:0.8", "--lora", "sub/b.safetensors:0.5:0.25", "--", "-"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runWF(t, tc.stdin, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %s", code, stderr)
			}
			loras, nodes := lorasIn(t, stdout)
			a, b := loras["a.safetensors"], loras["sub/b.safetensors"]
			if a == nil || b == nil {
				t.Fatalf("loras = %v", loras)
			}
			if a["strength_model"] != json.Number("0.8") || a["strength_clip"] != json.Number("0.8") ||
				b["strength_model"] != json.Number("0.5") || b["strength_clip"] != json.Number("0.25") {
				t.Errorf("strengths: a=%v b=%v", a, b)
			}
			sampler := nodes["3"].(map[string]any)
			if sampler["seed"] != json.Number("18446744073709551615") {
				t.Errorf("seed = %v", sampler["seed"])
			}
			if got := sampler["model"].([]any); got[0] != "8" { // 7 = a, 8 = b
				t.Errorf("sampler model = %v", got)
			}
			if !strings.HasPrefix(stdout, "{\n  \"3\": {") || !strings.HasSuffix(stdout, "}\n") {
				t.Errorf("stdout not indented JSON:\n%s", stdout)
			}
			if !strings.Contains(stderr, "injected lora") || !strings.Contains(stderr, "lora=sub/b.safetensors") {
				t.Errorf("stderr log = %s", stderr)
			}
		})
	}
}

func TestWorkflowErrors(t *testing.T) {
	good := writeWF(t, workflowSD)
	cases := []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"malformed json", `{"3": {`, []string{"inject-loras", "--lora", "a.safetensors:1", "-"}, 1, "stdin: graph: invalid graph"},
		{"not a graph", `{"3": 5}`, []string{"inject-loras", "--lora", "a.safetensors:1", "-"}, 1, `node "3"`},
		{"broken link", `{"3":{"class_type":"KSampler","inputs":{"model":["9",0]}}}`, []string{"inject-loras", "--lora", "a.safetensors:1", "-"}, 1, `links to missing node "9"`},
		{"unreadable file", "", []string{"inject-loras", "--lora", "a.safetensors:1", filepath.Join(t.TempDir(), "nope.json")}, 1, "no such file"},
		{"no loader", `{"1":{"class_type":"SaveImage","inputs":{}}}`, []string{"inject-loras", "--lora", "a.safetensors:1", "-"}, 1, "no model loader"},
		{"ambiguous", workflowTwoLoaders, []string{"inject-loras", "--lora", "a.safetensors:1", "-"}, 1, `ambiguous model loader: "4" (CheckpointLoaderSimple), "7" (CheckpointLoaderSimple)`},
		{"unknown target", workflowTwoLoaders, []string{"inject-loras", "--target", "99", "--lora", "a.safetensors:1", "-"}, 1, "unknown lora target"},
		{"dotdot name", "", []string{"inject-loras", "--lora", "../x.safetensors:1", good}, 1, `bad lora name "../x.safetensors"`},
		{"absolute name", "", []string{"inject-loras", "--lora", "/abs.safetensors:1", good}, 1, `bad lora name "/abs.safetensors": absolute path`},
		{"strength not a number", "", []string{"inject-loras", "--lora", "x.safetensors:lots", good}, 1, "bad lora strength"},
		{"strength too big", "", []string{"inject-loras", "--lora", "x.safetensors:1:250", good}, 1, "bad lora strength: 250"},
		{"strength missing", "", []string{"inject-loras", "--lora", "x.safetensors", good}, 1, "want NAME:STRENGTH"},
		{"no lora", "", []string{"inject-loras", good}, 1, "no --lora given"},
		{"no subcommand", "", nil, 2, "usage: ai4artsed workflow inject-loras"},
		{"unknown subcommand", "", []string{"explode"}, 2, `unknown subcommand "explode"`},
		{"unknown flag", "", []string{"inject-loras", "--nope", good}, 2, "flag provided but not defined: -nope"},
		{"no file", "", []string{"inject-loras", "--lora", "a.safetensors:1"}, 2, "want exactly one FILE or -, got 0"},
		{"two files", "", []string{"inject-loras", "--lora", "a.safetensors:1", good, good}, 2, "got 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runWF(t, tc.stdin, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d (stderr %s)", code, tc.wantCode, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tc.wantErr)
			}
		})
	}
}

func TestWorkflowAmbiguousWithTarget(t *testing.T) {
	code, stdout, stderr := runWF(t, workflowTwoLoaders, "inject-loras", "--target", "7", "--lora", "r.safetensors:0.3", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `"LoRA: r.safetensors"`) || !strings.Contains(stdout, "\"model\": [\n        \"7\",") {
		t.Errorf("stdout:\n%s", stdout)
	}
}
