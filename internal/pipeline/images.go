package pipeline

import (
	"context"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/pool"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// SwarmAPI is what stage 4 needs of SwarmUI's simple API; *swarm.Client
// implements it.
type SwarmAPI interface {
	GenerateText2Image(ctx context.Context, req swarm.T2IRequest) ([]swarm.Image, error)
}

// SwarmStreamer is the optional part of a SwarmAPI that reports progress
// while SwarmUI generates; *swarm.Client implements it. Stage 4 uses it
// when the SwarmAPI has it, and falls back to GenerateText2Image when it
// fails with swarm.ErrNoWebsocket (nothing was generated then).
type SwarmStreamer interface {
	GenerateText2ImageWS(ctx context.Context, req swarm.T2IRequest, onProgress func(swarm.Progress)) ([]swarm.Image, error)
}

// ComfyAPI is what stage 4 needs of ComfyUI; *comfy.Client implements it.
type ComfyAPI interface {
	Generate(ctx context.Context, job comfy.Job) (*comfy.Result, error)
	UploadImage(ctx context.Context, name string, data []byte) (string, error)
}

// Starter makes sure the image backend runs before it is used, starting it
// if it may; onStarting is called when the caller has to wait for a start.
// *supervisor.Supervisor implements it.
type Starter interface {
	Ensure(ctx context.Context, onStarting func(string)) error
}

// Images holds the image backends of stage 4.
type Images struct {
	Swarm   SwarmAPI      // SwarmUI's simple API; nil on a standalone ComfyUI
	Comfy   ComfyAPI      // ComfyUI: SwarmUI's own backend or a standalone one
	Starter Starter       // starts SwarmUI on demand; nil: not supervised
	Timeout time.Duration // deadline of one generation (0: 10 minutes)
	// Machine names the image machine in queue_status events, metrics and
	// its slot queue ("swarmui" when empty).
	Machine string
	// Slots is how many generations run at once (0: Config.ImageSlots).
	Slots int
	// Models, when set, are the only checkpoints routed here; Labels are
	// shown in /api/backends (docs/backends.md).
	Models, Labels []string
	// Probe checks the machine's health and lists its models for the
	// pool (RunHealth); nil counts it as always up.
	Probe func(ctx context.Context) pool.Probe
}

// machine is the name of the image machine's slot queue.
func (im *Images) machine() string {
	if im.Machine == "" {
		return "swarmui"
	}
	return im.Machine
}

// ensure makes sure the backend is up before it is used.
func (im *Images) ensure(ctx context.Context, onStarting func(string)) error {
	if im.Starter == nil {
		return nil
	}
	return im.Starter.Ensure(ctx, onStarting)
}

func (im *Images) timeout() time.Duration {
	if im.Timeout <= 0 {
		return 10 * time.Minute
	}
	return im.Timeout
}
