package events

import "sync"

// Signal wakes whoever waits on a key. The pipeline rings a workshop's key
// when it stores a new run of the workshop, the teacher routes when they
// change it; the teacher's class view (docs/api.md, "Class view") waits on
// it instead of polling the store often. It reaches waiters in this
// process only: the class view also looks at the store every few seconds
// for runs that other processes made. The zero value is not usable; call
// NewSignal.
type Signal struct {
	mu    sync.Mutex
	waits map[string]chan struct{}
}

// NewSignal returns a signal nobody waits on yet.
func NewSignal() *Signal { return &Signal{waits: make(map[string]chan struct{})} }

// Notify wakes every waiter of key. It never blocks.
func (s *Signal) Notify(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.waits[key]; ok {
		close(ch)
		delete(s.waits, key)
	}
}

// Wait returns a channel closed by the next Notify of key. A waiter that
// gives up leaves the channel to the next Notify (one entry per key).
func (s *Signal) Wait(key string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.waits[key]
	if !ok {
		ch = make(chan struct{})
		s.waits[key] = ch
	}
	return ch
}
