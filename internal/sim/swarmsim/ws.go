package swarmsim

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/jpeg"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// Timings of SwarmUI's websocket API.
const (
	wsFirstFrameWait = time.Minute      // for the request frame
	wsKeepAlive      = 30 * time.Second // keep_alive while images are pending
	wsLingerWait     = 2 * time.Second  // for another request after socket_intention close
)

// isWebsocket reports whether r asks for a websocket upgrade.
func isWebsocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// wsConn is one API websocket: a reader goroutine feeds frames, and its
// end (the client left, or Close) cancels ctx.
type wsConn struct {
	conn   *websocket.Conn
	ctx    context.Context
	frames chan []byte
}

// serveAPIWS is an API call over a websocket, in SwarmUI's order: accept,
// read the request frame, check the session, then the route. Failures are
// error frames, after which the socket closes.
func (s *Server) serveAPIWS(w http.ResponseWriter, r *http.Request, name string) {
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(maxReceiveBytes)
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	c := &wsConn{conn: conn, ctx: ctx, frames: make(chan []byte)}
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		defer cancel()
		for {
			typ, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			if typ != websocket.MessageText {
				continue
			}
			select {
			case c.frames <- data:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() { cancel(); _ = conn.CloseNow(); <-gone }()

	raw, ok := c.next(wsFirstFrameWait)
	if !ok {
		return
	}
	in, ok := parseParams(raw)
	if !ok {
		c.fail("internal_error", "An internal error occurred")
		return
	}
	sid, present := in["session_id"]
	session := sid.String()
	if !present {
		session = r.Header.Get("X-Session-ID")
	}
	switch {
	case !present && session == "":
		c.fail("basic_api", "missing session id")
		return
	case !s.validSession(session):
		c.fail("invalid_session_id", "Invalid session ID. You may need to refresh the page.")
		return
	case name != "generatetext2imagews" && s.apis[name] != nil:
		c.fail("bad_request_method", "API route is HTTP, request is websocket")
		return
	case name != "generatetext2imagews":
		c.fail("bad_route", "Unknown API route")
		return
	}
	s.log.Debug("swarmsim: websocket api call", "route", name)
	for {
		if !s.generateWS(c, session, in) {
			return
		}
		c.send(map[string]string{"socket_intention": "close"})
		raw, ok := c.next(wsLingerWait)
		if !ok {
			if ctx.Err() == nil {
				c.send(s.statusObject())
				_ = conn.Close(websocket.StatusNormalClosure, "")
			}
			return
		}
		if in, ok = parseParams(raw); !ok {
			c.fail("internal_error", "An internal error occurred")
			return
		}
	}
}

// generateWS runs one GenerateText2ImageWS request on c. It reports whether
// the socket may take another request.
func (s *Server) generateWS(c *wsConn, session string, in params) bool {
	c.send(s.statusObject())
	stopAlive := c.keepAlive(wsKeepAlive)
	defer stopAlive()
	preview := previewURL()
	hooks := &runHooks{
		step: func(i, step, steps int) {
			f := float64(step) / float64(steps)
			c.send(map[string]any{"gen_progress": map[string]any{
				"batch_index": strconv.Itoa(i), "request_id": "1", "overall_percent": f, "current_percent": f, "preview": preview,
			}})
		},
		image: func(i int, path string) {
			meta, _ := json.Marshal(map[string]any{"sui_image_params": map[string]any{"batch_index": i}})
			c.send(map[string]any{"image": map[string]any{
				"image": path, "batch_index": strconv.Itoa(i), "request_id": "1", "metadata": string(meta),
			}})
			c.send(map[string]bool{"keep_alive": true})
		},
	}
	paths, msg := s.generate(c.ctx, session, in, hooks)
	if c.ctx.Err() != nil {
		return false
	}
	if msg != "" && len(paths) == 0 {
		c.send(errorObj(msg))
		_ = c.conn.Close(websocket.StatusNormalClosure, "")
		return false
	}
	c.send(map[string]any{"discard_indices": []int{}})
	return true
}

// next waits up to d for the next request frame.
func (c *wsConn) next(d time.Duration) ([]byte, bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case raw := <-c.frames:
		return raw, true
	case <-t.C:
		return nil, false
	case <-c.ctx.Done():
		return nil, false
	}
}

// send writes one JSON frame; errors end the reader and so the call.
func (c *wsConn) send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	_ = c.conn.Write(c.ctx, websocket.MessageText, b)
}

// fail sends an error frame with its error_id and closes the socket.
func (c *wsConn) fail(id, msg string) {
	c.send(map[string]string{"error": msg, "error_id": id})
	_ = c.conn.Close(websocket.StatusNormalClosure, "")
}

// keepAlive sends keep_alive every d until the returned stop is called.
func (c *wsConn) keepAlive(d time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				c.send(map[string]bool{"keep_alive": true})
			case <-done:
				return
			case <-c.ctx.Done():
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}

// previewURL is a tiny JPEG as a data URL, like SwarmUI's step previews.
func previewURL() string {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 4)
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 50})
	return "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}
