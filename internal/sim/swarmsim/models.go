package swarmsim

import (
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
)

// modelExts are the file extensions matching ignores.
var modelExts = []string{".safetensors", ".sft", ".ckpt", ".pt", ".pth", ".bin", ".gguf"}

// cleanModelName normalises a model name for fuzzy matching: forward
// slashes, no leading slash, lowercase, no model file extension.
func cleanModelName(name string) string {
	name = strings.TrimLeft(strings.ReplaceAll(name, `\`, "/"), "/")
	name = strings.ToLower(name)
	for _, ext := range modelExts {
		if s, ok := strings.CutSuffix(name, ext); ok {
			return s
		}
	}
	return name
}

// matchModel finds the listed name a request means, roughly as SwarmUI's
// GetBestModelInList: exact, then with ".safetensors" added, then ignoring
// case and extension, then by file name without its folder.
func matchModel(want string, list []string) (string, bool) {
	if want == "" {
		return "", false
	}
	for _, cand := range []string{want, want + ".safetensors"} {
		if slices.Contains(list, cand) {
			return cand, true
		}
	}
	clean := cleanModelName(want)
	for _, name := range list {
		if cleanModelName(name) == clean {
			return name, true
		}
	}
	if strings.Contains(clean, "/") {
		return "", false
	}
	for _, name := range list {
		if path.Base(cleanModelName(name)) == clean {
			return name, true
		}
	}
	return "", false
}

// architecture guesses SwarmUI's model class id from a file name.
func architecture(name string) (arch, class string, side int) {
	n := strings.ToLower(path.Base(name))
	switch {
	case strings.Contains(n, "sd3.5_large") || strings.Contains(n, "sd3.5-large"):
		return "stable-diffusion-v3.5-large", "SD 3.5 Large", 1024
	case strings.Contains(n, "sd3.5_medium") || strings.Contains(n, "sd3.5-medium"):
		return "stable-diffusion-v3.5-medium", "SD 3.5 Medium", 1024
	case strings.Contains(n, "sd3"):
		return "stable-diffusion-v3-medium", "SD 3", 1024
	case strings.Contains(n, "flux1-dev") || strings.Contains(n, "flux"):
		if strings.Contains(n, "schnell") {
			return "Flux.1-schnell", "Flux.1 Schnell", 1024
		}
		return "Flux.1-dev", "Flux.1 Dev", 1024
	case strings.Contains(n, "xl"):
		return "stable-diffusion-xl-v1-base", "SDXL 1.0-Base", 1024
	case strings.Contains(n, "v1-5") || strings.Contains(n, "sd15"):
		return "stable-diffusion-v1", "SD 1", 512
	}
	return "", "", 1024
}

// modelObject is one entry of a ListModels answer.
func modelObject(name, subtype string) map[string]any {
	arch, class, side := architecture(name)
	if subtype == "LoRA" && arch != "" {
		arch += "/lora"
	}
	title := strings.TrimSuffix(path.Base(name), path.Ext(name))
	return map[string]any{
		"name": name, "title": title, "author": "", "description": "",
		"preview_image": "imgs/model_placeholder.jpg", "loaded": false,
		"architecture": arch, "class": class, "compat_class": arch,
		"standard_width": side, "standard_height": side,
		"license": "", "date": "", "usage_hint": "", "trigger_phrase": "", "merged_from": "",
		"tags": nil, "is_supported_model_format": true, "is_negative_embedding": false,
		"local": true,
	}
}

// modelSet returns the names of a model subtype.
func (s *Server) modelSet(subtype string) ([]string, bool) {
	switch subtype {
	case "Stable-Diffusion":
		return s.opts.Models, true
	case "LoRA":
		return s.opts.LoRAs, true
	case "VAE", "Embedding", "ControlNet", "ClipVision", "Clip", "Wildcards":
		return nil, true
	}
	return nil, false
}

// listModels is POST /API/ListModels.
func (s *Server) listModels(_ *http.Request, _ string, in params) any {
	dir, msg := apiString(in, "path", "", true)
	if msg != "" {
		return errorObj(msg)
	}
	depth, msg := apiInt(in, "depth", 0, true)
	if msg != "" {
		return errorObj(msg)
	}
	subtype, _ := apiString(in, "subtype", "Stable-Diffusion", false)
	sortBy, _ := apiString(in, "sortBy", "Name", false)
	reverse, msg := apiBool(in, "sortReverse", false)
	if msg != "" {
		return errorObj(msg)
	}
	sortMode := strings.ToLower(sortBy)
	if !slices.Contains([]string{"name", "title", "datecreated", "datemodified"}, sortMode) {
		return errorObj(fmt.Sprintf("Invalid sort mode '%s'.", sortBy))
	}
	names, ok := s.modelSet(subtype)
	if !ok {
		return errorObj("Invalid sub-type.")
	}
	depth = min(max(depth, 1), 20)
	dir = strings.ReplaceAll(dir, `\`, "/")
	if dir != "" {
		dir += "/"
	}
	for strings.Contains(dir, "//") {
		dir = strings.ReplaceAll(dir, "//", "/")
	}
	dir = strings.TrimLeft(dir, "/")

	folders := []string{}
	seenFolder := map[string]bool{}
	files := []map[string]any{}
	for _, name := range names {
		rest, ok := strings.CutPrefix(name, dir)
		if !ok || rest == "" {
			continue
		}
		parts := strings.Split(rest, "/")
		for i := 1; i < len(parts) && i <= depth; i++ {
			f := strings.Join(parts[:i], "/")
			if !seenFolder[f] {
				seenFolder[f] = true
				folders = append(folders, f)
			}
		}
		if len(parts)-1 < depth {
			files = append(files, modelObject(name, subtype))
		}
	}
	key := "name"
	if sortMode == "title" {
		key = "title"
	}
	slices.SortStableFunc(files, func(a, b map[string]any) int {
		if c := strings.Compare(a[key].(string), b[key].(string)); c != 0 {
			return c
		}
		return strings.Compare(a["name"].(string), b["name"].(string))
	})
	if reverse {
		slices.Reverse(files)
	}
	return map[string]any{"folders": folders, "files": files}
}
