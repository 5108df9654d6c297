package comfysim

import (
	"net/http"
	"runtime"
	"slices"
)

// typeName is the input type as ComfyUI prints it in mismatch messages.
func (in *inputSpec) typeName() string {
	if in.kind == kindCombo {
		return pyStr(in.options)
	}
	return in.kind
}

// config is the input's object_info entry: [type or option list, {extras}].
func (in *inputSpec) config() []any {
	extra := map[string]any{}
	if in.def != nil {
		extra["default"] = in.def
	}
	if in.min != nil {
		extra["min"] = jsonable(in.min)
	}
	if in.max != nil {
		extra["max"] = jsonable(in.max)
	}
	if in.fmin != nil {
		extra["min"] = *in.fmin
	}
	if in.fmax != nil {
		extra["max"] = *in.fmax
	}
	if in.step != 0 {
		extra["step"] = in.step
	}
	if in.multiline {
		extra["multiline"] = true
		extra["dynamicPrompts"] = true
	}
	if in.kind == kindInt && in.max != nil && in.max.Cmp(maxSeed()) == 0 {
		extra["control_after_generate"] = true
	}
	if in.upload {
		extra["image_upload"] = true
	}
	if in.kind == kindCombo {
		return []any{slices.Clone(in.options), extra}
	}
	return []any{in.kind, extra}
}

// objectInfo builds one class's /object_info entry.
func (s *Server) objectInfo(d *nodeDef) map[string]any {
	required := map[string]any{}
	optional := map[string]any{}
	var reqOrder, optOrder []string
	for _, in := range d.inputs {
		if in.upload {
			in.options = s.inputFiles()
		}
		if in.optional {
			optional[in.name] = in.config()
			optOrder = append(optOrder, in.name)
		} else {
			required[in.name] = in.config()
			reqOrder = append(reqOrder, in.name)
		}
	}
	input := map[string]any{"required": required}
	order := map[string]any{"required": orEmpty(reqOrder)}
	if len(optional) > 0 {
		input["optional"] = optional
		order["optional"] = optOrder
	}
	if d.class == "SaveImage" {
		input["hidden"] = map[string]any{"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}
		order["hidden"] = []string{"prompt", "extra_pnginfo"}
	}
	isList := make([]bool, len(d.outputs))
	return map[string]any{
		"input": input, "input_order": order,
		"output": orEmpty(d.outputs), "output_is_list": isList, "output_name": orEmpty(d.outputNames),
		"name": d.class, "display_name": d.display, "description": "", "python_module": "nodes",
		"category": d.category, "output_node": d.outputNode,
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) handleObjectInfo(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{}
	for name, d := range s.nodes {
		out[name] = s.objectInfo(d)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleObjectInfoClass(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{}
	if d := s.nodes[r.PathValue("class")]; d != nil {
		out[d.class] = s.objectInfo(d)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleSystemStats(w http.ResponseWriter, r *http.Request) {
	const gib = 1 << 30
	writeJSON(w, http.StatusOK, map[string]any{
		"system": map[string]any{
			"os": runtime.GOOS, "ram_total": 32 * gib, "ram_free": 24 * gib,
			"comfyui_version": "0.3.64", "required_frontend_version": "1.27.10",
			"installed_templates_version": "0.1.94", "required_templates_version": "0.1.94",
			"python_version": "3.12.3 (simulated)", "pytorch_version": "2.8.0+sim",
			"embedded_python": false, "argv": []string{"main.py", "--port", "8188"},
		},
		"devices": []any{map[string]any{
			"name": "cuda:0 Simulated GPU : cudaMallocAsync", "type": "cuda", "index": 0,
			"vram_total": 24 * gib, "vram_free": 20 * gib, "torch_vram_total": 0, "torch_vram_free": 0,
		}},
	})
}

func (s *Server) handleFeatures(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"supports_preview_metadata": true, "max_upload_size": maxUpload})
}
