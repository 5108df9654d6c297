package comfy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// maxWSMessage bounds one websocket message (previews can be large).
const maxWSMessage = 32 << 20

// wsMessage is one text frame: {"type": ..., "data": {...}}.
type wsMessage struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// eventStream reads a ComfyUI websocket on its own goroutine.
type eventStream struct {
	conn   *websocket.Conn
	msgs   chan wsMessage
	errc   chan error    // receives the read error once, when the socket drops
	stop   chan struct{} // closed when Generate stops listening
	cancel context.CancelFunc
	done   chan struct{}
}

// wsURL is the websocket address for clientID, relative to the base URL.
func (c *Client) wsURL(clientID string) string {
	u, _ := url.Parse(c.endpoint("ws", url.Values{"clientId": {clientID}}))
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	return u.String()
}

// errWSRefused means the server answered the handshake with an HTTP error;
// Generate then polls history instead.
var errWSRefused = errors.New("comfy: websocket handshake refused")

// openEvents connects the websocket for clientID.
func (c *Client) openEvents(ctx context.Context, clientID string) (*eventStream, error) {
	conn, resp, err := websocket.Dial(ctx, c.wsURL(clientID), &websocket.DialOptions{HTTPClient: c.hc})
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("comfy: open websocket: %w", ctxErr)
		}
		if resp != nil {
			return nil, fmt.Errorf("%w: HTTP %d", errWSRefused, resp.StatusCode)
		}
		return nil, fmt.Errorf("%w: open websocket: %w", ErrUnavailable, err)
	}
	conn.SetReadLimit(maxWSMessage)
	readCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	es := &eventStream{conn: conn, msgs: make(chan wsMessage), errc: make(chan error, 1), stop: make(chan struct{}), cancel: cancel, done: make(chan struct{})}
	go es.read(readCtx)
	// ComfyUI registers the socket before it sends its first status message;
	// a prompt posted before that message could run with nobody to tell.
	// Whatever arrives first predates our prompt and is dropped.
	t := time.NewTimer(helloWait)
	defer t.Stop()
	select {
	case <-es.msgs: // nothing before our prompt concerns us
	case err := <-es.errc:
		es.errc <- err
	case <-t.C:
	case <-ctx.Done():
		es.close()
		return nil, fmt.Errorf("comfy: open websocket: %w", ctx.Err())
	}
	return es, nil
}

// helloWait bounds the wait for ComfyUI's first status message.
const helloWait = 2 * time.Second

func (es *eventStream) read(ctx context.Context) {
	defer close(es.done)
	for {
		typ, data, err := es.conn.Read(ctx)
		if err != nil {
			es.errc <- err
			return
		}
		if typ != websocket.MessageText {
			continue // binary previews
		}
		var m wsMessage
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		select {
		case es.msgs <- m:
		case <-es.stop: // keep reading so the close handshake can finish
		}
	}
}

// close shuts the socket and waits for the reader goroutine.
func (es *eventStream) close() {
	if es == nil {
		return
	}
	close(es.stop)
	_ = es.conn.Close(websocket.StatusNormalClosure, "")
	es.cancel()
	<-es.done
	_ = es.conn.CloseNow()
}

// promptEvent holds the fields of the events Generate follows.
type promptEvent struct {
	PromptID      string  `json:"prompt_id"`
	Node          *string `json:"node"`
	Value         float64 `json:"value"`
	Max           float64 `json:"max"`
	NodeID        string  `json:"node_id"`
	NodeType      string  `json:"node_type"`
	ExceptionType string  `json:"exception_type"`
	ExceptionMsg  string  `json:"exception_message"`
}

// eventOutcome is what one event means for the prompt being followed.
type eventOutcome int

const (
	eventIgnored eventOutcome = iota
	eventProgress
	eventSucceeded // execution_success: the end is near
	eventDone      // executing with node null: history is written
)

// interpret reads one message for prompt id; errors are the prompt's failure.
func interpret(m wsMessage, id string, onProgress func(Progress)) (eventOutcome, error) {
	switch m.Type {
	case "progress", "executing", "execution_success", "execution_error", "execution_interrupted":
	default:
		return eventIgnored, nil
	}
	var ev promptEvent
	if json.Unmarshal(m.Data, &ev) != nil || ev.PromptID != id {
		return eventIgnored, nil
	}
	switch m.Type {
	case "progress":
		if onProgress != nil {
			node := ""
			if ev.Node != nil {
				node = *ev.Node
			}
			onProgress(Progress{Value: int(ev.Value + 0.5), Max: int(ev.Max + 0.5), Node: node})
		}
		return eventProgress, nil
	case "executing":
		if ev.Node == nil {
			return eventDone, nil
		}
		return eventIgnored, nil
	case "execution_success":
		return eventSucceeded, nil
	case "execution_error":
		return eventIgnored, &ExecutionError{PromptID: id, NodeID: ev.NodeID, NodeType: ev.NodeType,
			ExceptionType: ev.ExceptionType, Message: strings.TrimSpace(ev.ExceptionMsg)}
	default: // execution_interrupted
		return eventIgnored, fmt.Errorf("%w: prompt %s at node %s (%s)", ErrInterrupted, id, ev.NodeID, ev.NodeType)
	}
}
