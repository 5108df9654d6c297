package events

// observe records a subscriber that follows a run without watching it: it
// counts in Subscribers, but not for the run's Unwatched time, so a
// teacher's class view does not keep a run alive that its student left.
// The returned func ends it.
func (h *Hub) observe() (unobserve func()) {
	h.mu.Lock()
	h.subs++
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		h.subs--
		h.mu.Unlock()
	}
}
