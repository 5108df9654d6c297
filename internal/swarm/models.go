package swarm

import (
	"context"
	"fmt"
)

// Model subtypes for ListModels.
const (
	SubtypeModel = "Stable-Diffusion"
	SubtypeLoRA  = "LoRA"
)

// listDepth is SwarmUI's maximum folder depth for ListModels.
const listDepth = 20

// Model is one entry of a model list.
type Model struct {
	// Name is the path SwarmUI knows the model by, e.g.
	// "OfficialStableDiffusion/sd3.5_large.safetensors"; use it as the
	// model parameter.
	Name         string `json:"name"`
	Title        string `json:"title"`
	Architecture string `json:"architecture"`
}

// ListModels lists every model of a subtype ("Stable-Diffusion", "LoRA",
// "VAE", ...) from the root, including those in nested folders.
func (c *Client) ListModels(ctx context.Context, subtype string) ([]Model, error) {
	if subtype == "" {
		subtype = SubtypeModel
	}
	body := map[string]any{
		"path":        "",
		"depth":       listDepth,
		"subtype":     subtype,
		"sortBy":      "Name",
		"allowRemote": true,
		"sortReverse": false,
		"dataImages":  false,
	}
	var out struct {
		Files *[]Model `json:"files"`
	}
	if err := c.call(ctx, "ListModels", body, &out); err != nil {
		return nil, err
	}
	if out.Files == nil {
		return nil, fmt.Errorf("swarm: ListModels: no files in answer: %w", ErrBadResponse)
	}
	return *out.Files, nil
}

// Status is the part of GetCurrentStatus that tells whether SwarmUI can
// generate.
type Status struct {
	// Backend is backend_status.status: "running" means ready; others
	// include "empty", "all_disabled", "errored", "some_loading",
	// "loading", "disabled".
	Backend string
	// Message is backend_status.message, often empty.
	Message string
	// Waiting and Live are the queued and running generation counts.
	Waiting, Live int
}

// Ready reports whether the backends can take a generation.
func (s Status) Ready() bool { return s.Backend == "running" }

// CurrentStatus calls GetCurrentStatus (the second step of a health check).
func (c *Client) CurrentStatus(ctx context.Context) (Status, error) {
	var out struct {
		Status *struct {
			WaitingGens int `json:"waiting_gens"`
			LiveGens    int `json:"live_gens"`
		} `json:"status"`
		BackendStatus *struct {
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"backend_status"`
	}
	if err := c.call(ctx, "GetCurrentStatus", map[string]any{}, &out); err != nil {
		return Status{}, err
	}
	if out.BackendStatus == nil {
		return Status{}, fmt.Errorf("swarm: GetCurrentStatus: no backend_status in answer: %w", ErrBadResponse)
	}
	s := Status{Backend: out.BackendStatus.Status, Message: out.BackendStatus.Message}
	if out.Status != nil {
		s.Waiting, s.Live = out.Status.WaitingGens, out.Status.LiveGens
	}
	return s, nil
}

// InterruptAll stops this session's running generations.
func (c *Client) InterruptAll(ctx context.Context) error {
	var out struct {
		Success bool `json:"success"`
	}
	if err := c.call(ctx, "InterruptAll", map[string]any{"other_sessions": false}, &out); err != nil {
		return err
	}
	if !out.Success {
		return fmt.Errorf("swarm: InterruptAll: no success in answer: %w", ErrBadResponse)
	}
	return nil
}
