package comfysim

import (
	"net/http"
	"strings"
	"testing"
)

func TestValidationErrors(t *testing.T) {
	_, srv := newTestServer(t, Options{})
	type want struct {
		top, node, class, typ, input, details string
	}
	cases := []struct {
		name   string
		mutate func(g map[string]map[string]any)
		want   want
	}{
		{"missing checkpoint", func(g map[string]map[string]any) { set(g, "4", "ckpt_name", "nope.safetensors") },
			want{"prompt_outputs_failed_validation", "4", "CheckpointLoaderSimple", "value_not_in_list", "ckpt_name", "ckpt_name: 'nope.safetensors' not in ['sd_xl_base_1.0.safetensors', "}},
		{"missing lora", func(g map[string]map[string]any) {
			g["20"] = n("LoraLoader", map[string]any{"model": []any{"4", 0}, "clip": []any{"4", 1}, "lora_name": "gone.safetensors", "strength_model": 1, "strength_clip": 1})
			set(g, "3", "model", []any{"20", 0})
		}, want{"prompt_outputs_failed_validation", "20", "LoraLoader", "value_not_in_list", "lora_name", "lora_name: 'gone.safetensors' not in"}},
		{"required input missing", func(g map[string]map[string]any) { delete(g["3"]["inputs"].(map[string]any), "steps") },
			want{"prompt_outputs_failed_validation", "3", "KSampler", "required_input_missing", "steps", "steps"}},
		{"return type mismatch", func(g map[string]map[string]any) { set(g, "3", "positive", []any{"4", 0}) },
			want{"prompt_outputs_failed_validation", "3", "KSampler", "return_type_mismatch", "positive", "positive, received_type(MODEL) mismatch input_type(CONDITIONING)"}},
		{"link of wrong length", func(g map[string]map[string]any) { set(g, "8", "vae", []any{"4", 2, 0}) },
			want{"prompt_outputs_failed_validation", "8", "VAEDecode", "bad_linked_input", "vae", "vae"}},
		{"link to missing node", func(g map[string]map[string]any) { set(g, "3", "model", []any{"99", 0}) },
			want{"prompt_outputs_failed_validation", "3", "KSampler", "exception_during_inner_validation", "samples", "'99'"}},
		{"link to missing output slot", func(g map[string]map[string]any) { set(g, "3", "model", []any{"4", 7}) },
			want{"prompt_outputs_failed_validation", "3", "KSampler", "exception_during_inner_validation", "samples", "tuple index out of range"}},
		{"invalid int", func(g map[string]map[string]any) { set(g, "3", "steps", "many") },
			want{"prompt_outputs_failed_validation", "3", "KSampler", "invalid_input_type", "steps", "steps, many, invalid literal for int() with base 10: 'many'"}},
		{"steps below min", func(g map[string]map[string]any) { set(g, "3", "steps", 0) },
			want{"prompt_outputs_failed_validation", "3", "KSampler", "value_smaller_than_min", "steps", "steps"}},
		{"cfg above max", func(g map[string]map[string]any) { set(g, "3", "cfg", 101.5) },
			want{"prompt_outputs_failed_validation", "3", "KSampler", "value_bigger_than_max", "cfg", "cfg"}},
		{"seed above uint64", func(g map[string]map[string]any) { set(g, "3", "seed", json18446744073709551616) },
			want{"prompt_outputs_failed_validation", "3", "KSampler", "value_bigger_than_max", "seed", "seed"}},
		{"width below min", func(g map[string]map[string]any) { set(g, "5", "width", 8) },
			want{"prompt_outputs_failed_validation", "5", "EmptyLatentImage", "value_smaller_than_min", "width", "width"}},
		{"sampler not in list", func(g map[string]map[string]any) { set(g, "3", "sampler_name", "magic") },
			want{"prompt_outputs_failed_validation", "3", "KSampler", "value_not_in_list", "sampler_name", "(list of length"}},
		{"load image not uploaded", func(g map[string]map[string]any) {
			g["10"] = n("LoadImage", map[string]any{"image": "missing.png"})
			set(g, "3", "latent_image", []any{"11", 0})
			g["11"] = n("VAEEncode", map[string]any{"pixels": []any{"10", 0}, "vae": []any{"4", 2}})
		}, want{"prompt_outputs_failed_validation", "10", "LoadImage", "custom_validation_failed", "image", "image - Invalid image file: missing.png"}},
		{"unknown class", func(g map[string]map[string]any) { g["12"] = n("MagicNode", map[string]any{}) },
			want{top: "invalid_prompt"}},
		{"missing class_type", func(g map[string]map[string]any) { g["12"] = map[string]any{"inputs": map[string]any{}} },
			want{top: "invalid_prompt"}},
		{"no outputs", func(g map[string]map[string]any) { delete(g, "9") }, want{top: "prompt_no_outputs"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := baseGraph()
			tc.mutate(g)
			status, body := post(t, srv.URL+"/prompt", map[string]any{"prompt": g, "client_id": "c"})
			if status != http.StatusBadRequest {
				t.Fatalf("status %d, body %v", status, body)
			}
			if got := dig(body, "error", "type"); got != tc.want.top {
				t.Fatalf("error.type = %v, want %s (body %v)", got, tc.want.top, body)
			}
			nodeErrors, _ := body["node_errors"].(map[string]any)
			if tc.want.node == "" {
				if len(nodeErrors) != 0 {
					t.Errorf("node_errors = %v, want {}", nodeErrors)
				}
				return
			}
			ne := nodeErrors[tc.want.node]
			if ne == nil {
				t.Fatalf("no node_errors[%s] in %v", tc.want.node, nodeErrors)
			}
			if got := dig(ne, "class_type"); got != tc.want.class {
				t.Errorf("class_type = %v, want %s", got, tc.want.class)
			}
			if got := dig(ne, "dependent_outputs", 0); got != "9" {
				t.Errorf("dependent_outputs = %v, want [9]", dig(ne, "dependent_outputs"))
			}
			e := dig(ne, "errors", 0)
			if got := dig(e, "type"); got != tc.want.typ {
				t.Errorf("type = %v, want %s (%v)", got, tc.want.typ, e)
			}
			if got := dig(e, "extra_info", "input_name"); got != tc.want.input {
				t.Errorf("input_name = %v, want %s", got, tc.want.input)
			}
			if got, _ := dig(e, "details").(string); !strings.Contains(got, tc.want.details) {
				t.Errorf("details = %q, want it to contain %q", got, tc.want.details)
			}
		})
	}
}

// json18446744073709551616 is 2^64, one above the seed maximum.
var json18446744073709551616 = jsonNumberLiteral("18446744073709551616")

type jsonNumberLiteral string

func (j jsonNumberLiteral) MarshalJSON() ([]byte, error) { return []byte(j), nil }

func TestValidationTopLevelMessages(t *testing.T) {
	_, srv := newTestServer(t, Options{})
	status, body := post(t, srv.URL+"/prompt", map[string]any{"client_id": "c"})
	if status != http.StatusBadRequest || dig(body, "error", "type") != "no_prompt" || dig(body, "error", "message") != "No prompt provided" {
		t.Errorf("no prompt: %d %v", status, body)
	}
	g := baseGraph()
	g["12"] = n("MagicNode", map[string]any{})
	_, body = post(t, srv.URL+"/api/prompt", map[string]any{"prompt": g})
	if dig(body, "error", "message") != "Cannot execute because node MagicNode does not exist." || dig(body, "error", "details") != "Node ID '#12'" {
		t.Errorf("unknown class: %v", body)
	}
	g = baseGraph()
	set(g, "4", "ckpt_name", "nope")
	_, body = post(t, srv.URL+"/prompt", map[string]any{"prompt": g})
	if dig(body, "error", "message") != "Prompt outputs failed validation" {
		t.Errorf("failed validation: %v", body)
	}
	if got := dig(body, "node_errors", "4", "errors", 0, "extra_info", "received_value"); got != "nope" {
		t.Errorf("received_value = %v", got)
	}
}

func TestAcceptedPrompt(t *testing.T) {
	s, srv := newTestServer(t, Options{})
	status, body := post(t, srv.URL+"/prompt", map[string]any{"prompt": baseGraph(), "client_id": "c", "prompt_id": "my-id"})
	if status != http.StatusOK || body["prompt_id"] != "my-id" || body["number"] != 0.0 || len(body["node_errors"].(map[string]any)) != 0 {
		t.Fatalf("accepted: %d %v", status, body)
	}
	status, body = post(t, srv.URL+"/prompt", map[string]any{"prompt": baseGraph()})
	if status != http.StatusOK || body["number"] != 1.0 || len(body["prompt_id"].(string)) != 36 {
		t.Errorf("second: %d %v", status, body)
	}
	p := s.Prompts()
	if len(p) != 2 || p[0].PromptID != "my-id" || p[0].ClientID != "c" {
		t.Errorf("prompts = %+v", p)
	}
}

func TestPartiallyValidPromptRunsGoodOutputs(t *testing.T) {
	_, srv := newTestServer(t, Options{})
	g := baseGraph()
	g["20"] = n("LoadImage", map[string]any{"image": "nothing.png"})
	g["21"] = n("PreviewImage", map[string]any{"images": []any{"20", 0}})
	status, body := post(t, srv.URL+"/prompt", map[string]any{"prompt": g})
	if status != http.StatusOK {
		t.Fatalf("status %d %v", status, body)
	}
	if dig(body, "node_errors", "20", "errors", 0, "type") != "custom_validation_failed" {
		t.Errorf("node_errors = %v", body["node_errors"])
	}
}
