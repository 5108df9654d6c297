package comfy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ai4artsed/ai4artsed/internal/redact"
	"io"
	"net/http"
	"slices"
	"time"
)

// Polling intervals for /history.
const (
	pollFast     = 500 * time.Millisecond // websocket down or not available
	pollSafety   = 5 * time.Second        // websocket up: a safety net only
	maxPollFails = 20                     // consecutive failed polls before giving up
	cleanupLimit = 2 * time.Second        // interrupt/delete after cancellation
)

// Progress is one sampler step of the running prompt.
type Progress struct {
	Value, Max int
	Node       string
}

// Job is one workflow to run.
type Job struct {
	Graph      json.RawMessage       // API-format graph
	OutputNode string                // node whose images are the result; "" = all image outputs
	Timeout    time.Duration         // deadline for the whole generation; 0 = ctx only
	OnQueued   func(promptID string) // called once POST /prompt accepted the graph
	OnProgress func(Progress)        // called for each progress event of this prompt
}

// Image is one output file.
type Image struct {
	Filename, Subfolder, Type string
	Mime                      string
	Data                      []byte
}

// Result is a finished generation.
type Result struct {
	PromptID string
	Images   []Image
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Generate runs a workflow and returns its output images. It opens the
// websocket before queueing, follows only its own prompt's events, reads the
// result from that prompt's history entry and downloads each image. If the
// websocket cannot be opened or drops, it polls /history instead. When ctx
// ends or Job.Timeout passes, the prompt is interrupted (running) or deleted
// from the queue (pending) before Generate returns.
func (c *Client) Generate(ctx context.Context, job Job) (*Result, error) {
	if c.baseErr != nil {
		return nil, c.baseErr
	}
	if len(job.Graph) == 0 {
		return nil, errors.New("comfy: generate: empty graph")
	}
	var jobCtx context.Context
	var cancel context.CancelFunc
	if job.Timeout > 0 {
		jobCtx, cancel = context.WithTimeout(ctx, job.Timeout)
	} else {
		jobCtx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	stopped := func() error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("comfy: generate: %w", err)
		}
		return fmt.Errorf("%w after %s: %w", ErrTimeout, job.Timeout, context.DeadlineExceeded)
	}

	clientID := randomHex(16)
	es, err := c.openEvents(jobCtx, clientID)
	switch {
	case errors.Is(err, errWSRefused):
		es = nil // poll instead
	case err != nil && jobCtx.Err() != nil:
		return nil, stopped()
	case err != nil:
		return nil, err
	}
	defer es.close()

	id, err := c.queuePrompt(jobCtx, job.Graph, clientID, newUUID())
	if err != nil {
		var pe *PromptError
		if jobCtx.Err() != nil && !errors.As(err, &pe) {
			if id != "" {
				c.abandon(ctx, id)
			}
			return nil, stopped()
		}
		return nil, err
	}
	if job.OnQueued != nil {
		job.OnQueued(id)
	}
	entry, err := c.follow(jobCtx, id, es, job.OnProgress)
	if err != nil {
		if jobCtx.Err() != nil && isCtxErr(err) {
			c.abandon(ctx, id)
			return nil, stopped()
		}
		return nil, err
	}
	images, err := c.collect(jobCtx, entry, job.OutputNode)
	if err != nil {
		if jobCtx.Err() != nil && isCtxErr(err) {
			return nil, stopped()
		}
		return nil, err
	}
	return &Result{PromptID: id, Images: images}, nil
}

// queuePrompt POSTs the graph. It returns the prompt id ComfyUI answered,
// or the id it proposed when the answer was lost to cancellation.
func (c *Client) queuePrompt(ctx context.Context, graph json.RawMessage, clientID, proposedID string) (string, error) {
	body, err := json.Marshal(map[string]any{"prompt": graph, "client_id": clientID, "prompt_id": proposedID})
	if err != nil {
		return "", fmt.Errorf("comfy: queue prompt: %w", err)
	}
	resp, err := c.send(ctx, "queue prompt", http.MethodPost, "prompt", nil, bytes.NewReader(body), "application/json")
	if err != nil {
		return proposedID, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONBody))
	if err != nil {
		return proposedID, transportError(ctx, "queue prompt", err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		var ok struct {
			PromptID string `json:"prompt_id"`
		}
		if json.Unmarshal(data, &ok) != nil || ok.PromptID == "" {
			return "", badBody("queue prompt", resp.StatusCode, resp.Header.Get("Content-Type"), "no prompt id", data)
		}
		return ok.PromptID, nil
	case resp.StatusCode == http.StatusBadRequest:
		if pe := parsePromptError(data); pe != nil {
			return "", pe
		}
	}
	return "", &StatusError{Op: "queue prompt", StatusCode: resp.StatusCode,
		Reason: redact.Summary(resp.Header.Get("Content-Type"), data), Body: redact.Snippet(data, maxErrorBody)}
}

// follow waits until prompt id has finished and returns its history entry.
func (c *Client) follow(ctx context.Context, id string, es *eventStream, onProgress func(Progress)) (*historyEntry, error) {
	var msgs <-chan wsMessage
	var errc <-chan error
	interval := pollFast
	if es != nil {
		msgs, errc, interval = es.msgs, es.errc, pollSafety
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	fails, missing := 0, 0
	finished := false // the websocket said the prompt is done
	poll := func() (*historyEntry, error) {
		entry, err := c.historyEntry(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if fails++; fails >= maxPollFails {
				return nil, err
			}
			return nil, nil
		}
		fails = 0
		if entry == nil && finished {
			if missing++; missing >= maxPollFails {
				return nil, fmt.Errorf("%w: prompt %s finished but has no history entry", ErrBadResponse, id)
			}
		}
		return entry, nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-errc:
			msgs, errc = nil, nil // socket dropped: poll
			ticker.Reset(pollFast)
			if entry, err := poll(); entry != nil || err != nil {
				return entry, err
			}
		case m := <-msgs:
			outcome, err := interpret(m, id, onProgress)
			if err != nil {
				return nil, err
			}
			switch outcome {
			case eventSucceeded:
				ticker.Reset(pollFast)
			case eventDone:
				finished = true
				ticker.Reset(pollFast)
				if entry, err := poll(); entry != nil || err != nil {
					return entry, err
				}
			}
		case <-ticker.C:
			if entry, err := poll(); entry != nil || err != nil {
				return entry, err
			}
		}
	}
}

// abandon stops a prompt after its caller gave up: interrupt if running,
// delete if pending. It uses a fresh short context since ctx is done.
func (c *Client) abandon(ctx context.Context, id string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupLimit)
	defer cancel()
	running, pending, err := c.Queue(cctx)
	if err != nil {
		// Unknown state: both calls are harmless for a prompt in the other state.
		_ = c.postJSON(cctx, "delete from queue", "queue", map[string]any{"delete": []string{id}}, nil)
		_ = c.postJSON(cctx, "interrupt", "interrupt", map[string]any{"prompt_id": id}, nil)
		return
	}
	if slices.Contains(pending, id) {
		_ = c.postJSON(cctx, "delete from queue", "queue", map[string]any{"delete": []string{id}}, nil)
		// It may have started meanwhile.
		if running, _, err = c.Queue(cctx); err != nil {
			return
		}
	}
	if slices.Contains(running, id) {
		_ = c.postJSON(cctx, "interrupt", "interrupt", map[string]any{"prompt_id": id}, nil)
	}
}
