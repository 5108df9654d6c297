package media

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync/atomic"
)

// Defaults of a Checker; see CheckerConfig.
const (
	// DefaultMaxConcurrent is how many full decodes run at once.
	DefaultMaxConcurrent = 2
	// DefaultReleaseAbove is the decode size after which freed memory is
	// handed back to the operating system: 64 MiB.
	DefaultReleaseAbove = 64 << 20
)

// CheckerConfig configures a Checker. Zero fields take the defaults.
type CheckerConfig struct {
	// Limits bound each decode.
	Limits Limits
	// MaxConcurrent bounds the full decodes running at once; default
	// DefaultMaxConcurrent. Peak decode memory is at most
	// MaxConcurrent×Limits.MaxDecodeBytes.
	MaxConcurrent int
	// ReleaseAbove: after a decode estimated above this many bytes, the
	// Checker collects garbage and returns free memory to the operating
	// system (debug.FreeOSMemory), so one large image does not keep the
	// process's resident size up. Negative means never; default
	// DefaultReleaseAbove.
	ReleaseAbove int64
}

// Checker checks untrusted images: first the header against its Limits,
// with no pixel decoded, then a full decode while holding one of a fixed
// number of slots. It keeps no cache; the decoded pixels are garbage as
// soon as Check returns. It is safe for concurrent use.
type Checker struct {
	limits  Limits
	release int64
	slots   chan struct{}
	decodes atomic.Int64
}

// NewChecker returns a Checker for cfg.
func NewChecker(cfg CheckerConfig) *Checker {
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	if cfg.ReleaseAbove == 0 {
		cfg.ReleaseAbove = DefaultReleaseAbove
	}
	return &Checker{
		limits:  cfg.Limits.withDefaults(),
		release: cfg.ReleaseAbove,
		slots:   make(chan struct{}, cfg.MaxConcurrent),
	}
}

// Check is Detect with the Checker's limits and slots. Errors are those of
// Detect; waiting for a slot ends with ctx, with an error wrapping ctx.Err().
// A decode that has started is not interrupted.
func (c *Checker) Check(ctx context.Context, data []byte) (Info, error) {
	h, err := readHeader(data, c.limits)
	if err != nil {
		return Info{}, err
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return Info{}, fmt.Errorf("media: wait for a decode slot: %w", ctx.Err())
	}
	c.decodes.Add(1)
	info, err := h.decode(data)
	<-c.slots
	if c.release >= 0 && h.cost > c.release {
		debug.FreeOSMemory()
	}
	return info, err
}

// Decodes reports how many full decodes Check has started, for tests and
// metrics.
func (c *Checker) Decodes() int64 { return c.decodes.Load() }
