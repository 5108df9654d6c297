// Package comfysim is an in-memory ComfyUI simulator: an http.Handler that
// speaks ComfyUI's REST and websocket protocol (POST /prompt with ComfyUI's
// own validation and error shapes, /history, /view, /upload/image, /queue,
// /interrupt, /object_info, /system_stats, /features and /ws) faithfully
// enough that a real client, or a real SwarmUI, cannot tell the difference on
// the paths they use. Every route is also mounted under /api/, as in ComfyUI.
//
// Prompts run one at a time on a single worker goroutine. Sampler nodes report
// one progress event per step, each after Options.StepDelay, so tests can
// build queues. Output images are real PNGs made by Render: their pixels
// depend on the prompt text, the seed, the LoRAs on the model chain and any
// loaded input images. Files live in memory only.
//
// Until Options.StartupDelay has passed since New, every route answers
// 503 Service Unavailable with a plain-text body, standing in for a ComfyUI
// that is still starting.
package comfysim
