package comfysim

import (
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"
)

// job is one accepted prompt.
type job struct {
	id       string
	clientID string
	number   float64
	seq      int
	raw      json.RawMessage
	g        *graph
	outputs  []string
	extra    map[string]any
	status   string
	node     string // node executing now

	interrupt chan struct{}
	intOnce   sync.Once
}

func (j *job) stop() { j.intOnce.Do(func() { close(j.interrupt) }) }

// queueItem is the [number, id, graph, extra_data, outputs] tuple of /queue and history.
func (j *job) queueItem() []any {
	return []any{jsonNumber(j.number), j.id, j.raw, j.extra, j.outputs}
}

func jsonNumber(f float64) any {
	if f == float64(int64(f)) {
		return int64(f)
	}
	return f
}

// historyEntry is one /history value.
type historyEntry struct {
	Prompt  []any          `json:"prompt"`
	Outputs map[string]any `json:"outputs"`
	Status  historyStatus  `json:"status"`
	Meta    map[string]any `json:"meta"`
}

type historyStatus struct {
	StatusStr string  `json:"status_str"`
	Completed bool    `json:"completed"`
	Messages  [][]any `json:"messages"`
}

var errInterrupted = errors.New("interrupted")

// execError is a node failure reported as execution_error.
type execError struct{ typ, msg string }

func (e *execError) Error() string { return e.typ + ": " + e.msg }

func nowMS() int64 { return time.Now().UnixMilli() }

// worker runs queued prompts one at a time until Close.
func (s *Server) worker() {
	defer close(s.done)
	for {
		s.mu.Lock()
		var j *job
		if len(s.queue) > 0 {
			j = s.queue[0]
			s.queue = s.queue[1:]
			s.running = j
			j.status = StatusRunning
			s.broadcastStatusLocked()
		}
		s.mu.Unlock()
		if j == nil {
			select {
			case <-s.wake:
				continue
			case <-s.ctx.Done():
				return
			}
		}
		s.busy.Begin()
		s.execute(j)
		s.busy.End()
		if s.ctx.Err() != nil {
			return
		}
	}
}

// emit sends an event to the job's client and records status messages.
func (s *Server) emit(j *job, typ string, data map[string]any, msgs *[][]any) {
	s.mu.Lock()
	s.sendLocked(j.clientID, typ, data)
	s.mu.Unlock()
	if msgs != nil {
		*msgs = append(*msgs, []any{typ, data})
	}
}

func (s *Server) execute(j *job) {
	var msgs [][]any
	s.emit(j, "execution_start", map[string]any{"prompt_id": j.id, "timestamp": nowMS()}, &msgs)
	s.emit(j, "execution_cached", map[string]any{"nodes": []string{}, "prompt_id": j.id, "timestamp": nowMS()}, &msgs)
	ev := newEvaluator(s, j)
	executed := []string{}
	outputs := map[string]any{}
	meta := map[string]any{}
	for _, id := range executionOrder(j.g, s.nodes, j.outputs) {
		n := j.g.nodes[id]
		if err := s.checkStop(j); err != nil {
			s.fail(j, id, n.classType, executed, err, outputs, meta, msgs)
			return
		}
		s.mu.Lock()
		j.node = id
		s.sendLocked(j.clientID, "executing", map[string]any{"node": id, "display_node": id, "prompt_id": j.id})
		s.mu.Unlock()
		ui, err := ev.run(id)
		if err != nil {
			s.fail(j, id, n.classType, executed, err, outputs, meta, msgs)
			return
		}
		executed = append(executed, id)
		if ui != nil {
			outputs[id] = ui
			meta[id] = map[string]any{"node_id": id, "display_node": id, "parent_node": nil, "real_node_id": id}
			s.emit(j, "executed", map[string]any{"node": id, "display_node": id, "output": ui, "prompt_id": j.id}, nil)
		}
	}
	s.emit(j, "execution_success", map[string]any{"prompt_id": j.id, "timestamp": nowMS()}, &msgs)
	s.finish(j, StatusSuccess, outputs, meta, msgs)
}

// checkStop reports whether the job was interrupted or the server closed.
func (s *Server) checkStop(j *job) error {
	select {
	case <-j.interrupt:
		return errInterrupted
	case <-s.ctx.Done():
		return errInterrupted
	default:
		return nil
	}
}

// wait sleeps d unless the job is interrupted first.
func (s *Server) wait(j *job, d time.Duration) error {
	if d <= 0 {
		return s.checkStop(j)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return s.checkStop(j)
	case <-j.interrupt:
		return errInterrupted
	case <-s.ctx.Done():
		return errInterrupted
	}
}

func (s *Server) fail(j *job, id, class string, executed []string, err error, outputs, meta map[string]any, msgs [][]any) {
	data := map[string]any{"prompt_id": j.id, "node_id": id, "node_type": class, "executed": executed, "timestamp": nowMS()}
	if errors.Is(err, errInterrupted) {
		s.emit(j, "execution_interrupted", data, &msgs)
		s.finish(j, StatusInterrupted, outputs, meta, msgs)
		return
	}
	var ee *execError
	if !errors.As(err, &ee) {
		ee = &execError{typ: "RuntimeError", msg: err.Error()}
	}
	data["exception_message"] = ee.msg
	data["exception_type"] = ee.typ
	data["traceback"] = []string{"  File \"execution.py\", line 1, in execute (simulated)\n"}
	data["current_inputs"] = map[string]any{}
	data["current_outputs"] = map[string]any{}
	s.emit(j, "execution_error", data, &msgs)
	s.finish(j, StatusError, outputs, meta, msgs)
}

// finish writes the history entry, then tells the client the prompt is done.
func (s *Server) finish(j *job, status string, outputs, meta map[string]any, msgs [][]any) {
	statusStr := "success"
	if status != StatusSuccess {
		statusStr = "error"
	}
	e := &historyEntry{
		Prompt:  j.queueItem(),
		Outputs: outputs,
		Status:  historyStatus{StatusStr: statusStr, Completed: status == StatusSuccess, Messages: msgs},
		Meta:    meta,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j.status = status
	j.node = ""
	s.running = nil
	s.addHistoryLocked(j.id, e)
	s.broadcastStatusLocked()
	s.sendLocked(j.clientID, "executing", map[string]any{"node": nil, "display_node": nil, "prompt_id": j.id})
	s.log.Debug("comfysim: prompt finished", "prompt_id", j.id, "status", status)
}

// maxHistory is how many entries ComfyUI keeps.
const maxHistory = 10000

func (s *Server) addHistoryLocked(id string, e *historyEntry) {
	if _, ok := s.history[id]; !ok {
		s.histOrder = append(s.histOrder, id)
	}
	s.history[id] = e
	for len(s.histOrder) > maxHistory {
		delete(s.history, s.histOrder[0])
		s.histOrder = s.histOrder[1:]
	}
}

// executionOrder lists the nodes the outputs need, dependencies first,
// following inputs in their declared order.
func executionOrder(g *graph, defs map[string]*nodeDef, outputs []string) []string {
	seen := map[string]bool{}
	var order []string
	var visit func(id string)
	visit = func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		n := g.nodes[id]
		for _, spec := range defs[n.classType].inputs {
			if l, ok := linkOf(n.inputs[spec.name]); ok && len(l) == 2 {
				if oid, isStr := linkTarget(l); isStr && g.nodes[oid] != nil {
					visit(oid)
				}
			}
		}
		order = append(order, id)
	}
	sorted := slices.Clone(outputs)
	slices.SortFunc(sorted, compareIDs)
	for _, o := range sorted {
		visit(o)
	}
	return order
}
