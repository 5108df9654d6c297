package sharedqueue_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ai4artsed/ai4artsed/internal/queue"
	"github.com/ai4artsed/ai4artsed/internal/sharedqueue"
	"github.com/ai4artsed/ai4artsed/internal/store/postgres"
	"github.com/ai4artsed/ai4artsed/internal/store/postgres/pgtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// node is one replica: its own store handle, lease and manager, listening
// on the bus until the test ends.
type node struct {
	id string
	db *postgres.DB
	m  *sharedqueue.Manager
}

func newNode(t testing.TB, dbURL, id string) *node {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Beat(ctx, id); err != nil {
		t.Fatal(err)
	}
	m := sharedqueue.New(sharedqueue.Options{Store: db, Replica: id, TTL: 3 * time.Second, Tick: 300 * time.Millisecond})
	lctx, cancel := context.WithCancel(ctx)
	heard := make(chan struct{})
	done := make(chan struct{})
	var once sync.Once
	go func() {
		defer close(done)
		_ = m.Tap(db).Listen(lctx, func(string) {}, func() { once.Do(func() { close(heard) }) })
	}()
	select {
	case <-heard:
	case <-time.After(10 * time.Second):
		t.Fatal("listener did not connect")
	}
	t.Cleanup(func() { cancel(); <-done; m.Close(); _ = db.Close() })
	return &node{id: id, db: db, m: m}
}

// nodes starts n replicas on one fresh schema.
func nodes(t *testing.T, n int) []*node { return benchNodes(t, n) }

// benchNodes is nodes for tests and benchmarks.
func benchNodes(t testing.TB, n int) []*node {
	t.Helper()
	dbURL := pgtest.SchemaURL(t, "sq_")
	out := make([]*node, n)
	for i := range out {
		out[i] = newNode(t, dbURL, fmt.Sprintf("replica-%d", i+1))
	}
	return out
}

// TestSlotsHoldAcrossReplicas: 30 calls through three replicas share two
// slots: never more than two hold one at once, every call gets one, and
// the position each waiter is told never rises.
func TestSlotsHoldAcrossReplicas(t *testing.T) {
	ns := nodes(t, 3)
	const slots, calls = 2, 30
	var holding, most atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for i := range calls {
		q := ns[i%3].m.Queue("image:gpu-1", slots, 100, nil)
		wg.Go(func() {
			last, told := 0, 0
			release, err := q.AcquireTicket(context.Background(), queue.Ticket{Arrival: time.Now()}, func(s queue.Status) {
				if s.Acquired {
					return
				}
				told++
				if last > 0 && s.Position > last {
					errs <- fmt.Errorf("call %d: position rose from %d to %d", i, last, s.Position)
				}
				last = s.Position
			})
			if err != nil {
				errs <- fmt.Errorf("call %d: %v", i, err)
				return
			}
			n := holding.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(15 * time.Millisecond)
			holding.Add(-1)
			release()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if m := most.Load(); m > slots || m < 1 {
		t.Errorf("at most %d calls held a slot at once, want 1..%d", m, slots)
	}
	q := ns[0].m.Queue("image:gpu-1", slots, 100, nil)
	deadline := time.Now().Add(3 * time.Second)
	for q.InUse() != 0 || q.Waiting() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after every release: %d in use, %d waiting, want 0, 0", q.InUse(), q.Waiting())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hold takes the only slot of queue name on n and returns its release.
func hold(t *testing.T, n *node, name string) func() {
	t.Helper()
	release, err := n.m.Queue(name, 1, 100, nil).AcquireTicket(context.Background(), queue.Ticket{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return release
}

// lineUp starts one waiter per ticket, each on the replica tickets names,
// in order, each once the one before was told a position, and returns the
// order in which they got the slot (each releases it at once).
func lineUp(t *testing.T, ns []*node, name string, tickets []struct {
	label   string
	replica int
	t       queue.Ticket
}) func() []string {
	t.Helper()
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	for _, tk := range tickets {
		waiting := make(chan struct{})
		var once sync.Once
		wg.Go(func() {
			release, err := ns[tk.replica].m.Queue(name, 1, 100, nil).AcquireTicket(context.Background(), tk.t, func(s queue.Status) {
				if !s.Acquired {
					once.Do(func() { close(waiting) })
				}
			})
			once.Do(func() { close(waiting) })
			if err != nil {
				t.Errorf("%s: %v", tk.label, err)
				return
			}
			mu.Lock()
			order = append(order, tk.label)
			mu.Unlock()
			release()
		})
		<-waiting
	}
	return func() []string { wg.Wait(); return order }
}

// TestFairAcrossReplicas: the order rule of docs/scheduling.md holds over
// replicas: a student's later runs (higher turns) wait behind other
// students' first runs wherever they wait, and workshops take turns.
func TestFairAcrossReplicas(t *testing.T) {
	ns := nodes(t, 3)
	type tk = struct {
		label   string
		replica int
		t       queue.Ticket
	}
	base := time.Now()
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Millisecond) }
	t.Run("turns", func(t *testing.T) {
		release := hold(t, ns[0], "llm:a")
		var line []tk
		for i := range 4 {
			line = append(line, tk{fmt.Sprintf("ana%d", i+2), 0, queue.Ticket{Arrival: at(i), Turn: i + 1}})
		}
		for i, s := range []string{"ben", "cem", "dora", "emil"} {
			line = append(line, tk{s, 1 + i%2, queue.Ticket{Arrival: at(10 + i)}})
		}
		wait := lineUp(t, ns, "llm:a", line)
		release()
		got := fmt.Sprint(wait())
		if want := "[ben cem dora emil ana2 ana3 ana4 ana5]"; got != want {
			t.Errorf("served %s, want %s", got, want)
		}
	})
	t.Run("groups", func(t *testing.T) {
		release := hold(t, ns[0], "llm:b")
		var line []tk
		for i, s := range []string{"p", "q", "r", "s"} {
			line = append(line, tk{s, 1, queue.Ticket{Arrival: at(i), Group: "X"}})
		}
		for i, s := range []string{"u", "v"} {
			line = append(line, tk{s, 2, queue.Ticket{Arrival: at(10 + i), Group: "Y"}})
		}
		wait := lineUp(t, ns, "llm:b", line)
		release()
		got := fmt.Sprint(wait())
		if want := "[p u q v r s]"; got != want {
			t.Errorf("served %s, want %s", got, want)
		}
	})
}

// TestDeadReplicaFreesSlots: a replica that holds the slot and has a call
// waiting stops renewing its lease; a waiter on a survivor gets the slot
// once the lease is older than the TTL, and the dead replica's waiter
// learns that its ticket is lost.
func TestDeadReplicaFreesSlots(t *testing.T) {
	ns := nodes(t, 2)
	dead, alive := ns[0], ns[1]
	_ = hold(t, dead, "image:gpu") // never released: the replica dies holding it
	lost := make(chan error, 1)
	go func() {
		_, err := dead.m.Queue("image:gpu", 1, 100, nil).AcquireTicket(context.Background(), queue.Ticket{}, nil)
		lost <- err
	}()
	got := make(chan time.Duration, 1)
	released := make(chan struct{})
	defer func() { <-released }() // before the stores close
	start := time.Now()
	go func() {
		defer close(released)
		release, err := alive.m.Queue("image:gpu", 1, 100, nil).AcquireTicket(context.Background(), queue.Ticket{}, nil)
		if err != nil {
			t.Error(err)
			got <- 0
			return
		}
		got <- time.Since(start)
		release()
	}()
	// The survivor keeps beating; the dead one's lease ages from now.
	stop := make(chan struct{})
	beats := make(chan struct{})
	go func() {
		defer close(beats)
		for {
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Millisecond):
				_, _ = alive.db.Beat(context.Background(), alive.id)
			}
		}
	}()
	defer func() { close(stop); <-beats }()
	select {
	case d := <-got:
		if d < 2*time.Second {
			t.Errorf("the survivor got the slot after %v, before the dead lease's TTL of 3 s", d)
		}
		t.Logf("slot freed %v after the dead replica's last beat", d)
	case <-time.After(15 * time.Second):
		t.Fatal("the survivor never got the slot of the dead replica")
	}
	select {
	case err := <-lost:
		if !errors.Is(err, sharedqueue.ErrLost) {
			t.Errorf("the dead replica's waiter got %v, want ErrLost", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the dead replica's waiter never heard its ticket was lost")
	}
}

// TestCancelAndFull: a waiter whose context ends leaves the line at once
// and the ones behind move up; a full line refuses at once.
func TestCancelAndFull(t *testing.T) {
	ns := nodes(t, 2)
	release := hold(t, ns[0], "llm:c")
	defer release()
	q0 := ns[0].m.Queue("llm:c", 1, 2, nil)
	q1 := ns[1].m.Queue("llm:c", 1, 2, nil)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	told := make(chan struct{})
	var once sync.Once
	go func() {
		_, err := q0.AcquireTicket(ctx, queue.Ticket{}, func(queue.Status) { once.Do(func() { close(told) }) })
		first <- err
	}()
	<-told
	positions := make(chan int, 100)
	second, stop := context.WithCancel(context.Background())
	defer stop()
	secondDone := make(chan struct{})
	go func() {
		defer close(secondDone)
		_, _ = q1.AcquireTicket(second, queue.Ticket{}, func(s queue.Status) {
			if !s.Acquired {
				positions <- s.Position
			}
		})
	}()
	if p := <-positions; p != 2 {
		t.Fatalf("second waiter told position %d, want 2", p)
	}
	if _, err := q1.AcquireTicket(context.Background(), queue.Ticket{}, nil); !errors.Is(err, queue.ErrFull) {
		t.Fatalf("third waiter: %v, want ErrFull", err)
	}
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	start := time.Now()
	for p := range positions {
		if p == 1 {
			t.Logf("position 2 -> 1 told %v after the cancel", time.Since(start))
			break
		}
		if time.Since(start) > 2*time.Second {
			t.Fatal("the waiter behind never moved up")
		}
	}
	stop()
	<-secondDone
}
