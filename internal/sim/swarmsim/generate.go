package swarmsim

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
)

// noImagesError is SwarmUI's answer when a generation produced nothing.
const noImagesError = "No images were generated (all refused, or failed - check server logs for details)."

// T2IRecord is one GenerateText2Image or GenerateText2ImageWS call as the simulator received it.
type T2IRecord struct {
	// Session is the session id the call used.
	Session string
	// Params holds every T2I parameter as SwarmUI saw it: keys cleaned to
	// lowercase letters, values as strings (arrays comma-joined).
	Params map[string]string
	// Prompt and NegativePrompt are the texts.
	Prompt, NegativePrompt string
	// RequestedModel is the model as sent; Model the listed name it
	// matched (empty if none did).
	RequestedModel, Model string
	Width, Height, Steps  int
	CFG                   float64
	// Seed is the seed as sent (-1 random); Seeds the seed of each image.
	Seed               int64
	Seeds              []int64
	Sampler, Scheduler string
	// LoRAs are the matched LoRA names, LoRAWeights their strengths.
	LoRAs       []string
	LoRAWeights []float64
	// Images is the number of images asked for.
	Images int
	// Paths are the images answered; Error the error answered, if any.
	Paths []string
	Error string
	// Websocket is true for a call over GenerateText2ImageWS.
	Websocket bool
}

func (r T2IRecord) clone() T2IRecord {
	r.Params = maps.Clone(r.Params)
	r.Seeds = slices.Clone(r.Seeds)
	r.LoRAs = slices.Clone(r.LoRAs)
	r.LoRAWeights = slices.Clone(r.LoRAWeights)
	r.Paths = slices.Clone(r.Paths)
	return r
}

// generateText2Image is POST /API/GenerateText2Image. It waits for the
// ComfyUI backend to be up and free, then takes steps × StepDelay per
// image, interruptible by the request, InterruptAll and Close.
func (s *Server) generateText2Image(r *http.Request, session string, in params) any {
	paths, msg := s.generate(r.Context(), session, in, nil)
	switch {
	case r.Context().Err() != nil:
		return nil // the caller is gone
	case msg != "" && len(paths) == 0:
		return errorObj(msg)
	case paths == nil:
		paths = []string{}
	}
	return map[string]any{"images": paths}
}

// runHooks let the websocket route report a generation as it goes.
type runHooks struct {
	// step is called after each sampler step of image i.
	step func(i, step, steps int)
	// image is called when image i is stored under path.
	image func(i int, path string)
}

// generate validates and records one GenerateText2Image request (hooks
// set: the websocket route) and runs it. It returns the image paths and,
// if it failed, SwarmUI's error message.
func (s *Server) generate(ctx context.Context, session string, in params, hooks *runHooks) ([]string, string) {
	p, msg := s.parseT2I(in)
	rec := T2IRecord{
		Session: session, Params: p.raw, Prompt: p.prompt, NegativePrompt: p.negative,
		RequestedModel: p.requestedModel, Model: p.model, Width: p.width, Height: p.height,
		Steps: p.steps, CFG: p.cfg, Seed: p.seed, Sampler: p.sampler, Scheduler: p.scheduler,
		LoRAs: p.loras, LoRAWeights: p.weights, Images: p.images, Error: msg, Websocket: hooks != nil,
	}
	s.mu.Lock()
	idx := len(s.requests)
	s.requests = append(s.requests, rec)
	s.inFlight++
	s.maxFlight = max(s.maxFlight, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if msg != "" {
		return nil, msg
	}
	paths, seeds, err := s.run(ctx, session, p, hooks)
	s.mu.Lock()
	s.requests[idx].Paths = paths
	s.requests[idx].Seeds = seeds
	if err != "" {
		s.requests[idx].Error = err
	}
	s.mu.Unlock()
	return paths, err
}

// run renders the images of one request on the single backend slot, one
// StepDelay per sampler step.
func (s *Server) run(reqCtx context.Context, session string, p t2iParams, hooks *runHooks) (paths []string, seeds []int64, errMsg string) {
	ctx, cancel := context.WithCancel(reqCtx)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	s.mu.Lock()
	s.genID++
	id := s.genID
	s.gens[id] = &generation{session: session, cancel: cancel}
	s.waiting++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.gens, id)
		s.mu.Unlock()
	}()

	acquired := s.acquire(ctx)
	s.mu.Lock()
	s.waiting--
	if acquired {
		s.live++
	}
	s.mu.Unlock()
	if !acquired {
		return nil, nil, noImagesError
	}
	s.busy.Begin()
	defer func() {
		s.busy.End()
		s.mu.Lock()
		s.live--
		s.mu.Unlock()
		<-s.backend
	}()

	if !sleep(ctx, s.comfy.UseCheckpoint(p.model)) {
		return nil, nil, noImagesError
	}
	seed := p.seed
	if seed == -1 {
		seed = rand.Int64N(1 << 31)
	}
	for i := range p.images {
		imgSeed := seed
		if !p.noSeedInc {
			imgSeed += int64(i)
		}
		for step := 1; step <= p.steps; step++ {
			if !sleep(ctx, s.opts.Comfy.StepDelay) {
				return paths, seeds, noImagesError
			}
			if hooks != nil {
				hooks.step(i, step, p.steps)
			}
		}
		if ctx.Err() != nil {
			return paths, seeds, noImagesError
		}
		png, err := comfysim.Render(p.prompt, uint64(imgSeed), p.loras, p.width, p.height, nil)
		if err != nil {
			s.log.Debug("swarmsim: render failed", "err", err)
			return paths, seeds, "ComfyUI execution error: " + err.Error()
		}
		seeds = append(seeds, imgSeed)
		path := "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
		if !p.doNotSave {
			path = "View/" + s.store(p.prompt, png)
		}
		paths = append(paths, path)
		if hooks != nil {
			hooks.image(i, path)
		}
	}
	return paths, seeds, ""
}

// acquire waits for the ComfyUI backend to have started and to be free.
func (s *Server) acquire(ctx context.Context) bool {
	if !sleep(ctx, time.Until(s.comfyReadyAt)) {
		return false
	}
	select {
	case s.backend <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// sleep waits for d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// store keeps a PNG for /View and returns its path below View/.
func (s *Server) store(prompt string, png []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.imageCount++
	name := fmt.Sprintf("local/raw/%s/%d-%s.png", time.Now().Format("2006-01-02"), s.imageCount, slug(prompt))
	s.images[name] = png
	s.imageOrder = append(s.imageOrder, name)
	if len(s.imageOrder) > maxStoredImages {
		delete(s.images, s.imageOrder[0])
		s.imageOrder = s.imageOrder[1:]
	}
	return name
}
