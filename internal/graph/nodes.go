package graph

import "strings"

// outputTypes lists the output slots of common ComfyUI core nodes (slot = index).
var outputTypes = map[string][]string{
	"CheckpointLoaderSimple":  {"MODEL", "CLIP", "VAE"},
	"UNETLoader":              {"MODEL"},
	"CLIPLoader":              {"CLIP"},
	"DualCLIPLoader":          {"CLIP"},
	"TripleCLIPLoader":        {"CLIP"},
	"VAELoader":               {"VAE"},
	"LoraLoader":              {"MODEL", "CLIP"},
	"LoraLoaderModelOnly":     {"MODEL"},
	"KSampler":                {"LATENT"},
	"KSamplerAdvanced":        {"LATENT"},
	"SamplerCustom":           {"LATENT", "LATENT"},
	"SamplerCustomAdvanced":   {"LATENT", "LATENT"},
	"BasicGuider":             {"GUIDER"},
	"CFGGuider":               {"GUIDER"},
	"DualCFGGuider":           {"GUIDER"},
	"RandomNoise":             {"NOISE"},
	"DisableNoise":            {"NOISE"},
	"KSamplerSelect":          {"SAMPLER"},
	"BasicScheduler":          {"SIGMAS"},
	"CLIPTextEncode":          {"CONDITIONING"},
	"CLIPSetLastLayer":        {"CLIP"},
	"ConditioningZeroOut":     {"CONDITIONING"},
	"ConditioningCombine":     {"CONDITIONING"},
	"FluxGuidance":            {"CONDITIONING"},
	"EmptyLatentImage":        {"LATENT"},
	"EmptySD3LatentImage":     {"LATENT"},
	"VAEEncode":               {"LATENT"},
	"VAEDecode":               {"IMAGE"},
	"LoadImage":               {"IMAGE", "MASK"},
	"SaveImage":               {},
	"PreviewImage":            {},
	"ImageScale":              {"IMAGE"},
	"ImageScaleBy":            {"IMAGE"},
	"ImageScaleToTotalPixels": {"IMAGE"},
	"ImageBlend":              {"IMAGE"},
	"ImageStitch":             {"IMAGE"},
	"ModelSamplingSD3":        {"MODEL"},
	"ModelSamplingFlux":       {"MODEL"},
	"ModelSamplingDiscrete":   {"MODEL"},
}

// OutputTypes returns the output types of a known node class, one per slot, and
// whether the class is known. Output nodes such as SaveImage have none. The
// slice is a copy.
func OutputTypes(class string) ([]string, bool) {
	t, ok := outputTypes[class]
	if !ok {
		return nil, false
	}
	return append([]string{}, t...), true
}

// Model and CLIP loader classes that LoRA injection works with.
const (
	classCheckpoint    = "CheckpointLoaderSimple"
	classUNET          = "UNETLoader"
	classLoRA          = "LoraLoader"
	classLoRAModelOnly = "LoraLoaderModelOnly"
)

// isModelLoader reports whether LoRAs can be injected after a node of this class.
func isModelLoader(class string) bool { return class == classCheckpoint || class == classUNET }

// isCLIPLoader reports whether the class loads text encoders on its own.
func isCLIPLoader(class string) bool {
	return class == "CLIPLoader" || class == "DualCLIPLoader" || class == "TripleCLIPLoader"
}

// isSampler reports whether a class samples latents: the core samplers, and
// custom nodes that call themselves a KSampler.
func isSampler(class string) bool {
	switch class {
	case "KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced":
		return true
	}
	return strings.Contains(class, "KSampler") && class != "KSamplerSelect"
}
