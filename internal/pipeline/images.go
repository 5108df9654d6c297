package pipeline

import (
	"context"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/supervisor"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// Images holds the clients of the image backends of stage 4.
type Images struct {
	Swarm      *swarm.Client          // SwarmUI's simple API
	Comfy      *comfy.Client          // ComfyUI: SwarmUI's own backend or a standalone one
	Supervisor *supervisor.Supervisor // starts SwarmUI on demand; nil: not supervised
	Timeout    time.Duration          // deadline of one generation (0: 10 minutes)
}

// ensure makes sure the backend is up before it is used, starting it if the
// supervisor may. onStarting is called when the caller has to wait for a start.
func (im *Images) ensure(ctx context.Context, onStarting func(string)) error {
	if im.Supervisor == nil {
		return nil
	}
	return im.Supervisor.Ensure(ctx, onStarting)
}

func (im *Images) timeout() time.Duration {
	if im.Timeout <= 0 {
		return 10 * time.Minute
	}
	return im.Timeout
}

// Close stops the supervisor (which leaves SwarmUI running unless configured otherwise).
func (im *Images) Close() {
	if im.Supervisor != nil {
		_ = im.Supervisor.Close()
	}
}
