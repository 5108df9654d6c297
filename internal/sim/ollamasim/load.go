package ollamasim

import (
	"context"
	"encoding/json"
	"time"
)

// load makes model resident for a generation and waits until it is: a model
// not loaded (or past its keep-alive) costs LoadDelay, and with
// MaxLoadedModels reached the least recently used model is evicted first.
// A generation for a model being loaded by another waits for that load.
func (s *Server) load(ctx context.Context, model string, keepAlive json.RawMessage) error {
	name := fullName(model)
	now := time.Now()
	s.mu.Lock()
	for n, until := range s.loaded {
		if !until.After(now) {
			s.unloadLocked(n)
		}
	}
	if _, ok := s.loaded[name]; !ok {
		for s.opts.MaxLoadedModels > 0 && len(s.loaded) >= s.opts.MaxLoadedModels {
			s.unloadLocked(s.lruLocked())
		}
		s.loads++
		s.readyAt[name] = now.Add(s.opts.LoadDelay)
		s.log.Debug("ollamasim: loading model", "model", name, "delay", s.opts.LoadDelay)
	}
	s.loaded[name] = now.Add(keepAliveOf(keepAlive))
	s.lastUsed[name] = now
	wait := time.Until(s.readyAt[name])
	s.mu.Unlock()
	return sleep(ctx, wait)
}

// lruLocked names the loaded model used least recently.
func (s *Server) lruLocked() string {
	var name string
	var oldest time.Time
	for n := range s.loaded {
		if t := s.lastUsed[n]; name == "" || t.Before(oldest) {
			name, oldest = n, t
		}
	}
	return name
}

func (s *Server) unloadLocked(name string) {
	delete(s.loaded, name)
	delete(s.lastUsed, name)
	delete(s.readyAt, name)
}

// Loads returns how many times a model was loaded.
func (s *Server) Loads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loads
}
