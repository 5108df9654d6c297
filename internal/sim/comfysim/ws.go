package comfysim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// wsBuffer is how many frames may wait for a slow socket before it is closed.
const wsBuffer = 4096

// wsClient is one connected websocket.
type wsClient struct {
	sid    string
	out    chan []byte
	done   chan struct{}
	once   sync.Once
	cancel context.CancelFunc
}

func (c *wsClient) close() {
	c.once.Do(func() {
		close(c.done)
		c.cancel()
	})
}

// enqueue queues a frame; a client too slow to keep up is disconnected.
func (c *wsClient) enqueue(b []byte) {
	select {
	case <-c.done:
	case c.out <- b:
	default:
		c.close()
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func frame(typ string, data any) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "data": data})
	return b
}

// sendLocked sends an event to the socket of client sid, if connected.
// s.mu must be held.
func (s *Server) sendLocked(sid, typ string, data any) {
	if c := s.clients[sid]; c != nil && sid != "" {
		c.enqueue(frame(typ, data))
	}
}

// statusLocked is the status event payload; s.mu must be held.
func (s *Server) statusLocked() map[string]any {
	return map[string]any{"exec_info": map[string]any{"queue_remaining": s.queueRemainingLocked()}}
}

// broadcastStatusLocked tells every socket the queue size; s.mu must be held.
func (s *Server) broadcastStatusLocked() {
	b := frame("status", map[string]any{"status": s.statusLocked()})
	for _, c := range s.clients {
		c.enqueue(b)
	}
}

func (s *Server) queueRemainingLocked() int {
	n := len(s.queue)
	if s.running != nil {
		n++
	}
	return n
}

// handleWS implements GET /ws?clientId=ID.
func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	sid := r.URL.Query().Get("clientId")
	if sid == "" {
		sid = randomHex(16)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	c := &wsClient{sid: sid, out: make(chan []byte, wsBuffer), done: make(chan struct{}), cancel: cancel}
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		cancel()
		_ = conn.CloseNow()
		return
	}
	s.wsWG.Add(1)
	defer s.wsWG.Done()
	s.clients[sid] = c
	c.enqueue(frame("status", map[string]any{"status": s.statusLocked(), "sid": sid}))
	if j := s.running; j != nil && j.clientID == sid && j.node != "" {
		c.enqueue(frame("executing", map[string]any{"node": j.node, "display_node": j.node, "prompt_id": j.id}))
	}
	s.mu.Unlock()
	s.log.Debug("comfysim: websocket connected", "sid", sid)

	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for {
			select {
			case <-c.done:
				return
			case b := <-c.out:
				wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
				err := conn.Write(wctx, websocket.MessageText, b)
				wcancel()
				if err != nil {
					c.close()
					return
				}
			}
		}
	}()
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			break
		}
		var msg struct {
			Type string `json:"type"`
		}
		if typ == websocket.MessageText && json.Unmarshal(data, &msg) == nil && msg.Type == "feature_flags" {
			c.enqueue(frame("feature_flags", map[string]any{"supports_preview_metadata": true, "max_upload_size": maxUpload}))
		}
	}
	c.close()
	<-writerDone
	s.mu.Lock()
	if s.clients[sid] == c {
		delete(s.clients, sid)
	}
	s.mu.Unlock()
	_ = conn.CloseNow()
	s.log.Debug("comfysim: websocket closed", "sid", sid)
}
