package sharedqueue

import "context"

// Bus is the replicas' note bus (events.Bus): one listening connection per
// replica carries the hub's notes and the queue's.
type Bus interface {
	Notify(ctx context.Context, payloads ...string) error
	Listen(ctx context.Context, fn func(payload string), connected func()) error
}

// Tap returns b with the queue's notes ("q <queue>") taken out of what its
// Listen delivers: they nudge the queue's looker here, and every other note
// goes on to fn. After a reconnection every queue looks again.
func (m *Manager) Tap(b Bus) Bus { return tap{Bus: b, m: m} }

type tap struct {
	Bus
	m *Manager
}

func (t tap) Listen(ctx context.Context, fn func(string), connected func()) error {
	return t.Bus.Listen(ctx, func(p string) {
		if !t.m.Heard(p) {
			fn(p)
		}
	}, func() {
		t.m.Resync()
		connected()
	})
}
