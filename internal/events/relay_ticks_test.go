package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// waitWatched waits until A counts every run as watched by B's followers.
func waitWatched(t *testing.T, a *Hub, ids []string) {
	t.Helper()
	for _, id := range ids {
		for deadline := time.Now().Add(5 * time.Second); a.Unwatched(id) != 0 || !watchedRemotely(a, id); {
			if time.Now().After(deadline) {
				t.Fatalf("A never heard the watch note of run %s", id)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func watchedRemotely(h *Hub, id string) bool {
	t := h.topic(id)
	t.mu.Lock()
	defer t.mu.Unlock()
	return h.now().Before(t.remoteUntil)
}

// TestTransientTicksPackedIntoFewPayloads: the ticks of 300 runs waiting
// on A, each followed on B, reach every follower; while a NOTIFY takes
// 5 ms they go out many to a payload, each payload under PostgreSQL's
// limit. A tick too big for a payload is dropped alone.
func TestTransientTicksPackedIntoFewPayloads(t *testing.T) {
	st, bus := &memStore{}, &memBus{delay: 5 * time.Millisecond}
	hubs := replicasOn(t, st, bus, 2)
	a, b := hubs[0], hubs[1]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const n = 300
	var ids []string
	evcs := map[string]<-chan store.Event{}
	for i := range n {
		id := fmt.Sprintf("run-%03d", i)
		ids = append(ids, id)
		a.Open(id)
		st.setRun(id, store.StateQueued)
		if _, err := a.Publish(ctx, id, api.QueueStatusEvent{Status: api.QueueWaiting, Position: i + 1}); err != nil {
			t.Fatal(err)
		}
		evc, _ := follow(ctx, b, id, 0)
		evcs[id] = evc
	}
	for _, id := range ids {
		if e := <-evcs[id]; e.Seq != 1 {
			t.Fatalf("run %s: first event on B = %+v", id, e)
		}
	}
	waitWatched(t, a, ids)
	before := len(bus.payloads())
	huge := strings.Repeat("x", maxNote)
	for i, id := range ids {
		msg := "waiting"
		if i == 7 {
			msg = huge
		}
		if err := a.PublishTransient(id, api.QueueStatusEvent{Status: api.QueueWaiting, Position: i + 1, Message: msg}); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range ids {
		if i == 7 {
			continue
		}
		select {
		case e := <-evcs[id]:
			var q api.QueueStatusEvent
			if err := json.Unmarshal(e.Data, &q); err != nil || e.Seq != 0 || q.Position != i+1 {
				t.Fatalf("run %s on B: %+v", id, e)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("the tick of run %s never reached B", id)
		}
	}
	select {
	case e := <-evcs[ids[7]]:
		t.Fatalf("a tick over the payload limit reached B: %d bytes", len(e.Data))
	case <-time.After(50 * time.Millisecond):
	}
	sent := bus.payloads()[before:]
	ticks, payloads := 0, 0
	for _, p := range sent {
		if len(p) > maxNote {
			t.Fatalf("a payload of %d bytes", len(p))
		}
		k := strings.Count(p, "\nt ")
		if strings.HasPrefix(p, "t ") {
			k++
		}
		if k > 0 {
			ticks += k
			payloads++
		}
	}
	t.Logf("%d ticks in %d payloads", ticks, payloads)
	if ticks != n-1 || payloads > n/10 {
		t.Fatalf("%d ticks in %d payloads; want %d in at most %d", ticks, payloads, n-1, n/10)
	}
}

// TestTransientTicksReadNothingFromTheStore: a follower elsewhere takes a
// run's ticks from the notes alone; it reads the store only when the bus
// announces a stored event it has not read (and on its slow poll).
func TestTransientTicksReadNothingFromTheStore(t *testing.T) {
	st, _, hubs := replicas(t, 2)
	a, b := hubs[0], hubs[1]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a.Open("r")
	st.setRun("r", store.StateQueued)
	if _, err := a.Publish(ctx, "r", api.QueueStatusEvent{Status: api.QueueWaiting, Position: 5}); err != nil {
		t.Fatal(err)
	}
	evc, errc := follow(ctx, b, "r", 0)
	if e := <-evc; e.Seq != 1 {
		t.Fatalf("first = %+v", e)
	}
	waitWatched(t, a, []string{"r"})
	reads := st.readCount()
	const ticks = 50
	for i := range ticks {
		if err := a.PublishTransient("r", api.QueueStatusEvent{Status: api.QueueWaiting, Position: 4, WaitedMS: int64(i)}); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-evc:
			if e.Seq != 0 || !strings.Contains(string(e.Data), fmt.Sprintf(`"waited_ms":%d`, i)) {
				t.Fatalf("tick %d on B = %+v", i, e)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("tick %d never reached B", i)
		}
	}
	if got := st.readCount() - reads; got > 2 {
		t.Fatalf("B read the store %d times for %d ticks; want none but a poll", got, ticks)
	}
	// A stored event is read at once, and the next tick follows it.
	if _, err := a.Publish(ctx, "r", chunk("x")); err != nil {
		t.Fatal(err)
	}
	if e := <-evc; e.Seq != 2 {
		t.Fatalf("after the ticks B got %+v; want stored event 2", e)
	}
	if err := a.PublishTransient("r", api.QueueStatusEvent{Status: api.QueueWaiting, Position: 3}); err != nil {
		t.Fatal(err)
	}
	if e := <-evc; e.Seq != 0 || !strings.Contains(string(e.Data), `"position":3`) {
		t.Fatalf("tick after event 2 on B = %+v", e)
	}
	if _, err := a.Publish(ctx, "r", doneEvent); err != nil {
		t.Fatal(err)
	}
	st.setRun("r", store.StateDone)
	a.Close("r")
	evs, err := collect(t, evc, errc)
	if err != nil || len(evs) != 1 || evs[0].Type != "done" {
		t.Fatalf("end on B = %v, %v", types(evs), err)
	}
}

// TestOutboxSendsOnlyTheLatestTick: while a NOTIFY is under way, a run's
// ticks replace each other in the outbox and a stored event cancels the
// pending one; nothing is dropped for want of room.
func TestOutboxSendsOnlyTheLatestTick(t *testing.T) {
	st, bus := &memStore{}, &memBus{delay: 50 * time.Millisecond}
	hubs := replicasOn(t, st, bus, 2)
	a, b := hubs[0], hubs[1]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, id := range []string{"q", "r", "s"} {
		a.Open(id)
		st.setRun(id, store.StateQueued)
		if _, err := a.Publish(ctx, id, api.QueueStatusEvent{Status: api.QueueWaiting, Position: 9}); err != nil {
			t.Fatal(err)
		}
		evc, _ := follow(ctx, b, id, 0)
		if e := <-evc; e.Seq != 1 {
			t.Fatalf("first = %+v", e)
		}
	}
	waitWatched(t, a, []string{"q", "r", "s"})
	time.Sleep(150 * time.Millisecond) // the watch notes' Notify is over
	before := len(bus.notes("t"))
	// q's tick starts a slow Notify; meanwhile the ticks of r and s wait
	// in the outbox and replace each other.
	_ = a.PublishTransient("q", api.QueueStatusEvent{Status: api.QueueWaiting, Position: 1})
	time.Sleep(10 * time.Millisecond)
	for pos := 8; pos >= 4; pos-- {
		_ = a.PublishTransient("r", api.QueueStatusEvent{Status: api.QueueWaiting, Position: pos})
		_ = a.PublishTransient("s", api.QueueStatusEvent{Status: api.QueueWaiting, Position: pos})
	}
	if _, err := a.Publish(ctx, "s", chunk("x")); err != nil { // outdates s's pending tick
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	sent := bus.notes("t")[before:]
	var forR, forS []string
	for _, n := range sent {
		switch {
		case strings.HasPrefix(n, "t r "):
			forR = append(forR, n)
		case strings.HasPrefix(n, "t s "):
			forS = append(forS, n)
		}
	}
	if len(forR) != 1 || !strings.Contains(forR[0], `"position":4,`) {
		t.Fatalf("ticks of r sent: %q; want only the latest", forR)
	}
	if len(forS) != 0 {
		t.Fatalf("ticks of s sent: %q; want none: a stored event outdated them", forS)
	}
}
