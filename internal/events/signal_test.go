package events

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestSignalWakesTheWaitersOfItsKey(t *testing.T) {
	s := NewSignal()
	a1, a2, b := s.Wait("w1"), s.Wait("w1"), s.Wait("w2")
	if closed(a1) || closed(b) {
		t.Fatal("a wait ended before any notify")
	}
	s.Notify("w1")
	if !closed(a1) || !closed(a2) {
		t.Error("Notify(w1) did not wake both waiters of w1")
	}
	if closed(b) {
		t.Error("Notify(w1) woke a waiter of w2")
	}
	next := s.Wait("w1")
	if closed(next) {
		t.Error("a wait after the notify is already over")
	}
	s.Notify("nobody waits") // never blocks, keeps nothing
	s.mu.Lock()
	n := len(s.waits)
	s.mu.Unlock()
	if n != 2 {
		t.Errorf("%d keys kept, want 2 (w1 and w2)", n)
	}
}

func TestSignalConcurrentNotifyAndWait(t *testing.T) {
	s := NewSignal()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 200 {
				s.Notify("w")
			}
		}()
		go func() {
			defer wg.Done()
			for range 200 {
				_ = s.Wait("w")
			}
		}()
	}
	wg.Wait()
	ch := s.Wait("w")
	s.Notify("w")
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("the last wait was not woken")
	}
}

// TestObserverDoesNotWatch: an observing Follow gets the events and counts
// as a subscriber, but the run stays unwatched (its idle time goes on).
func TestObserverDoesNotWatch(t *testing.T) {
	h := NewHub(&memStore{})
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	h.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h.Open("r")
	mu.Lock()
	now = now.Add(20 * time.Second)
	mu.Unlock()
	got := make(chan store.Event, 4)
	errc := make(chan error, 1)
	go func() {
		errc <- h.Follow(context.Background(), "r", 0, Watcher{Observe: true,
			Event: func(e store.Event) error { got <- e; return nil }})
	}()
	if _, err := h.Publish(context.Background(), "r", api.RunEvent{RunID: "r", State: api.StateQueued}); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-got:
		if e.Type != string(api.EventRun) {
			t.Fatalf("observer got %s", e.Type)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the observer got no event")
	}
	if h.Subscribers() != 1 || h.Unwatched("r") != 20*time.Second {
		t.Errorf("while observed: subscribers %d, unwatched %v; want 1 and 20s", h.Subscribers(), h.Unwatched("r"))
	}
	if _, err := h.Publish(context.Background(), "r", api.DoneEvent{State: api.StateDone}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Follow = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the observer did not end after done")
	}
	if h.Subscribers() != 0 {
		t.Errorf("subscribers after the observer left: %d", h.Subscribers())
	}
}
