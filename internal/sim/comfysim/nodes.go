package comfysim

import (
	"math/big"
	"slices"
)

// Input kinds beyond the link types (MODEL, CLIP, ...).
const (
	kindInt    = "INT"
	kindFloat  = "FLOAT"
	kindString = "STRING"
	kindBool   = "BOOLEAN"
	kindCombo  = "COMBO"
)

// inputSpec describes one input of a node class as its INPUT_TYPES would.
type inputSpec struct {
	name      string
	kind      string   // INT, FLOAT, STRING, BOOLEAN, COMBO or a link type such as MODEL
	options   []string // COMBO only
	def       any
	min, max  *big.Int // INT bounds
	fmin      *float64 // FLOAT bounds
	fmax      *float64
	step      float64
	optional  bool
	multiline bool
	upload    bool // LoadImage: image_upload widget; options are the input files
}

// nodeDef is one node class.
type nodeDef struct {
	class       string
	display     string
	category    string
	inputs      []inputSpec
	outputs     []string
	outputNames []string
	outputNode  bool
	sampler     bool // reports per-step progress
}

func (d *nodeDef) input(name string) *inputSpec {
	for i := range d.inputs {
		if d.inputs[i].name == name {
			return &d.inputs[i]
		}
	}
	return nil
}

var (
	samplerNames = []string{"euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp", "heun", "heunpp2",
		"dpm_2", "dpm_2_ancestral", "lms", "dpm_fast", "dpm_adaptive", "dpmpp_2s_ancestral", "dpmpp_2s_ancestral_cfg_pp",
		"dpmpp_sde", "dpmpp_sde_gpu", "dpmpp_2m", "dpmpp_2m_cfg_pp", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu", "dpmpp_3m_sde",
		"dpmpp_3m_sde_gpu", "ddpm", "lcm", "ipndm", "ipndm_v", "deis", "res_multistep", "gradient_estimation", "er_sde",
		"seeds_2", "seeds_3", "ddim", "uni_pc", "uni_pc_bh2"}
	schedulerNames = []string{"simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal",
		"linear_quadratic", "kl_optimal"}
	clipTypes     = []string{"stable_diffusion", "stable_cascade", "sd3", "stable_audio", "mochi", "ltxv", "pixart", "cosmos", "lumina2", "wan", "hidream", "chroma", "ace", "omnigen2", "qwen_image", "hunyuan_image"}
	dualClipTypes = []string{"sdxl", "sd3", "flux", "hunyuan_video", "hidream", "hunyuan_image"}
)

func bigOf(v int64) *big.Int { return big.NewInt(v) }

func maxSeed() *big.Int {
	v, _ := new(big.Int).SetString("18446744073709551615", 10)
	return v
}

func fl(v float64) *float64 { return &v }

func link(name, kind string) inputSpec { return inputSpec{name: name, kind: kind} }

func intIn(name string, def, lo int64, hi *big.Int, step float64) inputSpec {
	return inputSpec{name: name, kind: kindInt, def: def, min: bigOf(lo), max: hi, step: step}
}

func floatIn(name string, def, lo, hi, step float64) inputSpec {
	return inputSpec{name: name, kind: kindFloat, def: def, fmin: fl(lo), fmax: fl(hi), step: step}
}

func combo(name string, options []string) inputSpec {
	return inputSpec{name: name, kind: kindCombo, options: slices.Clone(options)}
}

func opt(in inputSpec) inputSpec { in.optional = true; return in }

func seedIn(name string) inputSpec {
	return inputSpec{name: name, kind: kindInt, def: int64(0), min: bigOf(0), max: maxSeed()}
}

// buildNodes returns the node table with combo lists filled from opts.
func buildNodes(o Options) map[string]*nodeDef {
	steps := intIn("steps", 20, 1, bigOf(10000), 1)
	cfg := floatIn("cfg", 8.0, 0, 100, 0.1)
	size := func(name string, def, step int64) inputSpec { return intIn(name, def, 16, bigOf(16384), float64(step)) }
	text := inputSpec{name: "text", kind: kindString, multiline: true, def: ""}
	defs := []*nodeDef{
		{class: "CheckpointLoaderSimple", display: "Load Checkpoint", category: "loaders",
			inputs: []inputSpec{combo("ckpt_name", o.Checkpoints)}, outputs: []string{"MODEL", "CLIP", "VAE"}},
		{class: "UNETLoader", display: "Load Diffusion Model", category: "advanced/loaders",
			inputs:  []inputSpec{combo("unet_name", o.UNets), combo("weight_dtype", []string{"default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"})},
			outputs: []string{"MODEL"}},
		{class: "CLIPLoader", display: "Load CLIP", category: "advanced/loaders",
			inputs:  []inputSpec{combo("clip_name", o.CLIPs), combo("type", clipTypes), opt(combo("device", []string{"default", "cpu"}))},
			outputs: []string{"CLIP"}},
		{class: "DualCLIPLoader", display: "DualCLIPLoader", category: "advanced/loaders",
			inputs:  []inputSpec{combo("clip_name1", o.CLIPs), combo("clip_name2", o.CLIPs), combo("type", dualClipTypes), opt(combo("device", []string{"default", "cpu"}))},
			outputs: []string{"CLIP"}},
		{class: "TripleCLIPLoader", display: "TripleCLIPLoader", category: "advanced/loaders",
			inputs:  []inputSpec{combo("clip_name1", o.CLIPs), combo("clip_name2", o.CLIPs), combo("clip_name3", o.CLIPs)},
			outputs: []string{"CLIP"}},
		{class: "VAELoader", display: "Load VAE", category: "loaders",
			inputs: []inputSpec{combo("vae_name", o.VAEs)}, outputs: []string{"VAE"}},
		{class: "LoraLoader", display: "Load LoRA", category: "loaders",
			inputs: []inputSpec{link("model", "MODEL"), link("clip", "CLIP"), combo("lora_name", o.LoRAs),
				floatIn("strength_model", 1.0, -100, 100, 0.01), floatIn("strength_clip", 1.0, -100, 100, 0.01)},
			outputs: []string{"MODEL", "CLIP"}},
		{class: "LoraLoaderModelOnly", display: "LoraLoaderModelOnly", category: "loaders",
			inputs:  []inputSpec{link("model", "MODEL"), combo("lora_name", o.LoRAs), floatIn("strength_model", 1.0, -100, 100, 0.01)},
			outputs: []string{"MODEL"}},
		{class: "CLIPTextEncode", display: "CLIP Text Encode (Prompt)", category: "conditioning",
			inputs: []inputSpec{text, link("clip", "CLIP")}, outputs: []string{"CONDITIONING"}},
		{class: "CLIPSetLastLayer", display: "CLIP Set Last Layer", category: "conditioning",
			inputs:  []inputSpec{link("clip", "CLIP"), {name: "stop_at_clip_layer", kind: kindInt, def: int64(-1), min: bigOf(-24), max: bigOf(-1), step: 1}},
			outputs: []string{"CLIP"}},
		{class: "ConditioningZeroOut", display: "ConditioningZeroOut", category: "advanced/conditioning",
			inputs: []inputSpec{link("conditioning", "CONDITIONING")}, outputs: []string{"CONDITIONING"}},
		{class: "FluxGuidance", display: "FluxGuidance", category: "advanced/conditioning/flux",
			inputs: []inputSpec{link("conditioning", "CONDITIONING"), floatIn("guidance", 3.5, 0, 100, 0.1)}, outputs: []string{"CONDITIONING"}},
		{class: "EmptyLatentImage", display: "Empty Latent Image", category: "latent",
			inputs:  []inputSpec{size("width", 512, 8), size("height", 512, 8), intIn("batch_size", 1, 1, bigOf(4096), 1)},
			outputs: []string{"LATENT"}},
		{class: "EmptySD3LatentImage", display: "EmptySD3LatentImage", category: "latent/sd3",
			inputs:  []inputSpec{size("width", 1024, 16), size("height", 1024, 16), intIn("batch_size", 1, 1, bigOf(4096), 1)},
			outputs: []string{"LATENT"}},
		{class: "KSampler", display: "KSampler", category: "sampling", sampler: true,
			inputs: []inputSpec{link("model", "MODEL"), seedIn("seed"), steps, cfg, combo("sampler_name", samplerNames),
				combo("scheduler", schedulerNames), link("positive", "CONDITIONING"), link("negative", "CONDITIONING"),
				link("latent_image", "LATENT"), floatIn("denoise", 1.0, 0, 1, 0.01)},
			outputs: []string{"LATENT"}},
		{class: "KSamplerAdvanced", display: "KSampler (Advanced)", category: "sampling", sampler: true,
			inputs: []inputSpec{link("model", "MODEL"), combo("add_noise", []string{"enable", "disable"}), seedIn("noise_seed"),
				steps, cfg, combo("sampler_name", samplerNames), combo("scheduler", schedulerNames),
				link("positive", "CONDITIONING"), link("negative", "CONDITIONING"), link("latent_image", "LATENT"),
				intIn("start_at_step", 0, 0, bigOf(10000), 1), intIn("end_at_step", 10000, 0, bigOf(10000), 1),
				combo("return_with_leftover_noise", []string{"disable", "enable"})},
			outputs: []string{"LATENT"}},
		{class: "SamplerCustomAdvanced", display: "SamplerCustomAdvanced", category: "sampling/custom_sampling", sampler: true,
			inputs: []inputSpec{link("noise", "NOISE"), link("guider", "GUIDER"), link("sampler", "SAMPLER"),
				link("sigmas", "SIGMAS"), link("latent_image", "LATENT")},
			outputs: []string{"LATENT", "LATENT"}, outputNames: []string{"output", "denoised_output"}},
		{class: "BasicGuider", display: "BasicGuider", category: "sampling/custom_sampling/guiders",
			inputs: []inputSpec{link("model", "MODEL"), link("conditioning", "CONDITIONING")}, outputs: []string{"GUIDER"}},
		{class: "CFGGuider", display: "CFGGuider", category: "sampling/custom_sampling/guiders",
			inputs:  []inputSpec{link("model", "MODEL"), link("positive", "CONDITIONING"), link("negative", "CONDITIONING"), cfg},
			outputs: []string{"GUIDER"}},
		{class: "RandomNoise", display: "RandomNoise", category: "sampling/custom_sampling/noise",
			inputs: []inputSpec{seedIn("noise_seed")}, outputs: []string{"NOISE"}},
		{class: "KSamplerSelect", display: "KSamplerSelect", category: "sampling/custom_sampling/samplers",
			inputs: []inputSpec{combo("sampler_name", samplerNames)}, outputs: []string{"SAMPLER"}},
		{class: "BasicScheduler", display: "BasicScheduler", category: "sampling/custom_sampling/schedulers",
			inputs:  []inputSpec{link("model", "MODEL"), combo("scheduler", schedulerNames), steps, floatIn("denoise", 1.0, 0, 1, 0.01)},
			outputs: []string{"SIGMAS"}},
		{class: "VAEEncode", display: "VAE Encode", category: "latent",
			inputs: []inputSpec{link("pixels", "IMAGE"), link("vae", "VAE")}, outputs: []string{"LATENT"}},
		{class: "VAEDecode", display: "VAE Decode", category: "latent",
			inputs: []inputSpec{link("samples", "LATENT"), link("vae", "VAE")}, outputs: []string{"IMAGE"}},
		{class: "LoadImage", display: "Load Image", category: "image",
			inputs: []inputSpec{{name: "image", kind: kindCombo, upload: true}}, outputs: []string{"IMAGE", "MASK"}},
		{class: "ImageScale", display: "Upscale Image", category: "image/upscaling",
			inputs: []inputSpec{link("image", "IMAGE"), combo("upscale_method", []string{"nearest-exact", "bilinear", "area", "bicubic", "lanczos"}),
				intIn("width", 512, 0, bigOf(16384), 1), intIn("height", 512, 0, bigOf(16384), 1), combo("crop", []string{"disabled", "center"})},
			outputs: []string{"IMAGE"}},
		{class: "ImageBlend", display: "Image Blend", category: "image/postprocessing",
			inputs: []inputSpec{link("image1", "IMAGE"), link("image2", "IMAGE"), floatIn("blend_factor", 0.5, 0, 1, 0.01),
				combo("blend_mode", []string{"normal", "multiply", "screen", "overlay", "soft_light", "difference"})},
			outputs: []string{"IMAGE"}},
		{class: "SaveImage", display: "Save Image", category: "image", outputNode: true,
			inputs: []inputSpec{link("images", "IMAGE"), {name: "filename_prefix", kind: kindString, def: "ComfyUI"}}},
		{class: "PreviewImage", display: "Preview Image", category: "image", outputNode: true,
			inputs: []inputSpec{link("images", "IMAGE")}},
		{class: "ModelSamplingSD3", display: "ModelSamplingSD3", category: "advanced/model",
			inputs: []inputSpec{link("model", "MODEL"), floatIn("shift", 3.0, 0, 100, 0.01)}, outputs: []string{"MODEL"}},
		{class: "ModelSamplingFlux", display: "ModelSamplingFlux", category: "advanced/model",
			inputs: []inputSpec{link("model", "MODEL"), floatIn("max_shift", 1.15, 0, 100, 0.01), floatIn("base_shift", 0.5, 0, 100, 0.01),
				size("width", 1024, 8), size("height", 1024, 8)},
			outputs: []string{"MODEL"}},
	}
	m := make(map[string]*nodeDef, len(defs))
	for _, d := range defs {
		if d.outputNames == nil {
			d.outputNames = d.outputs
		}
		m[d.class] = d
	}
	return m
}
