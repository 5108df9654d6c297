package swarm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/coder/websocket"

	"github.com/ai4artsed/ai4artsed/internal/redact"
)

// wsRoute is SwarmUI's streaming text-to-image route.
const wsRoute = "GenerateText2ImageWS"

// maxWSFrame bounds one websocket frame: a preview or a data: URL image
// can be large.
const maxWSFrame = 32 << 20

// defaultWSIdle is how long the generation socket may stay silent. SwarmUI
// sends keep_alive at least every 30 seconds while images are pending.
const defaultWSIdle = 2 * time.Minute

// Progress is one gen_progress report of GenerateText2ImageWS.
type Progress struct {
	// Batch is the index of the image the report is about.
	Batch int
	// Overall is SwarmUI's overall_percent, 0 to 1: the whole image,
	// model loading included.
	Overall float64
	// Current is current_percent, 0 to 1: the running sampler.
	Current float64
	// Step is Current × Steps, rounded; both are 0 when the request left
	// the step count to SwarmUI.
	Step, Steps int
}

// GenerateText2ImageWS runs one text-to-image generation over SwarmUI's
// websocket route, calls onProgress (if not nil) on every gen_progress
// frame, and downloads every resulting image once the batch is done.
// Errors match those of GenerateText2Image; an error frame is an *APIError.
// When SwarmUI refuses the websocket handshake with 400 or 404, nothing
// was generated and the error matches ErrNoWebsocket: GenerateText2Image
// may still work. On every return the socket is closed; cancelling ctx
// closes it at once (the generation is not interrupted on SwarmUI, as with
// GenerateText2Image).
func (c *Client) GenerateText2ImageWS(ctx context.Context, req T2IRequest, onProgress func(Progress)) ([]Image, error) {
	body, err := req.params()
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		id, err := c.sessionID(ctx)
		if err != nil {
			return nil, err
		}
		body["session_id"] = id
		paths, err := c.streamT2I(ctx, body, req.Steps, onProgress)
		if err == nil {
			return c.fetchAll(ctx, paths)
		}
		if !errors.Is(err, ErrInvalidSession) || attempt > 0 {
			return nil, err
		}
		c.dropSession(id)
	}
}

// streamT2I sends one request frame and reads the answer frames until the
// batch is done. It returns the image paths in batch order.
func (c *Client) streamT2I(ctx context.Context, body map[string]any, steps int, onProgress func(Progress)) ([]string, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("swarm: %s: encode request: %w", wsRoute, err)
	}
	conn, err := c.dialWS(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.CloseNow()
	conn.SetReadLimit(c.wsReadLimit)
	if err := conn.Write(ctx, websocket.MessageText, payload); err != nil {
		return nil, c.wsReadError(ctx, nil, "send request", err)
	}
	b := batch{steps: steps, onProgress: onProgress, images: map[int]string{}}
	for {
		readCtx, cancel := context.WithTimeout(ctx, c.wsIdle)
		typ, data, err := conn.Read(readCtx)
		cancel()
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				return b.paths()
			}
			return nil, c.wsReadError(ctx, readCtx, "read", err)
		}
		if typ != websocket.MessageText {
			continue
		}
		done, err := b.handle(data)
		if err != nil {
			return nil, err
		}
		if done {
			// SwarmUI would wait two seconds for another request.
			_ = conn.Close(websocket.StatusNormalClosure, "")
			return b.paths()
		}
	}
}

// dialWS opens the websocket of the streaming route. A refused handshake
// becomes the error SwarmUI's answer means.
func (c *Client) dialWS(ctx context.Context) (*websocket.Conn, error) {
	u, err := url.Parse(c.base + "/API/" + wsRoute)
	if err != nil {
		return nil, fmt.Errorf("swarm: %s: base url: %w", wsRoute, c.scrub(err))
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("swarm: %s: base url scheme %q: %w", wsRoute, u.Scheme, ErrUnavailable)
	}
	conn, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{HTTPClient: c.hc})
	if err == nil {
		return conn, nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, fmt.Errorf("swarm: %s: %w", wsRoute, ctxErr)
	}
	if resp == nil {
		return nil, transportError(wsRoute, c.scrub(err))
	}
	var data []byte
	if resp.Body != nil {
		// The library leaves at most 1024 bytes of a refusal readable.
		data, _ = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		_ = resp.Body.Close()
	}
	cause := decodeAnswer(wsRoute, resp.StatusCode, resp.Header.Get("Content-Type"), data, nil)
	if cause == nil {
		cause = badAnswer(wsRoute, resp.StatusCode, resp.Header.Get("Content-Type"), "websocket handshake failed", data)
	}
	switch resp.StatusCode {
	case http.StatusBadRequest, http.StatusNotFound:
		return nil, fmt.Errorf("%w: %w", ErrNoWebsocket, cause)
	}
	return nil, cause
}

// wsReadError classifies a failed read or write of the socket. readCtx,
// if set, is the per-frame context whose deadline means silence.
func (c *Client) wsReadError(ctx, readCtx context.Context, op string, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("swarm: %s: %w", wsRoute, ctx.Err())
	case readCtx != nil && errors.Is(readCtx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("swarm: %s: no frame for %s: %w", wsRoute, c.wsIdle, ErrUnavailable)
	case errors.Is(err, websocket.ErrMessageTooBig):
		return fmt.Errorf("swarm: %s: a frame over %d bytes: %w", wsRoute, c.wsReadLimit, ErrBadResponse)
	}
	return fmt.Errorf("swarm: %s: %s: connection lost before the batch was done: %w: %w", wsRoute, op, ErrUnavailable, c.scrub(err))
}

// userInfo matches the user info of a URL inside an error text.
var userInfo = regexp.MustCompile(`//[^/@\s"']+@`)

// scrub keeps err for errors.Is and errors.As but hides any user info of
// the base URL in its text (net/http masks only the password).
func (c *Client) scrub(err error) error {
	msg := userInfo.ReplaceAllString(err.Error(), "//"+redact.Placeholder+"@")
	return &scrubbedError{msg: msg, err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
