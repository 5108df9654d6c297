package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/queue"
)

// Every call to a backend waits for a slot first: LLM calls in the queue of
// their LLM backend (Config.Slots each), generations in the queue of their
// image machine (Config.ImageSlots each). Both publish the same
// queue_status events and cancel a waiting run nobody watches.

// SlotQueue is one machine's slot queue: *queue.Queue in one process, or a
// queue shared by the replicas (internal/sharedqueue). Both keep the
// contract of queue.Queue.AcquireTicket: positions that never rise, a
// status at least once a second, ErrFull and ErrClosed.
type SlotQueue interface {
	AcquireTicket(ctx context.Context, t queue.Ticket, onStatus func(queue.Status)) (release func(), err error)
	Waiting() int
	InUse() int
	Slots() int
	Close()
}

// QueueMaker makes the slot queue named name of kind "llm" or "image",
// with its slots, the longest waiting line and the func that observes
// each wait (see Config.Queues).
type QueueMaker func(kind, name string, slots, maxWaiting int, onAcquired func(time.Duration)) SlotQueue

// TurnCounter counts the unfinished runs of client created before the run
// (created, id) (see Config.Turns).
type TurnCounter func(ctx context.Context, client string, created time.Time, id string) (int, error)

// Queue kinds, as QueueMaker receives them.
const (
	QueueLLM   = "llm"
	QueueImage = "image"
)

// Queue returns the slot queue of one LLM backend or machine, creating it
// on first use with the machine's slots.
func (p *Pipeline) Queue(backend string) SlotQueue {
	slots := p.cfg.Slots
	if m := p.llmMachine(backend); m != nil {
		slots = p.llmSlots(m)
	}
	return p.queueIn(p.queues, QueueLLM, backend, slots)
}

// ImageQueue returns the slot queue of one image machine, creating it on
// first use with the machine's slots.
func (p *Pipeline) ImageQueue(machine string) SlotQueue {
	slots := p.cfg.ImageSlots
	if m := p.imageMachine(machine); m != nil {
		slots = p.imageSlots(m)
	}
	return p.queueIn(p.imageQueues, QueueImage, machine, slots)
}

func (p *Pipeline) queueIn(m map[string]SlotQueue, kind, name string, slots int) SlotQueue {
	p.qmu.Lock()
	defer p.qmu.Unlock()
	q, ok := m[name]
	if !ok {
		observe := func(d time.Duration) {
			if p.cfg.Metrics != nil {
				p.cfg.Metrics.QueueWait(name, d)
			}
		}
		if p.cfg.Queues != nil {
			q = p.cfg.Queues(kind, name, slots, p.cfg.QueueMax, observe)
		} else {
			q = queue.NewWithOptions(queue.Options{Slots: slots, MaxWaiting: p.cfg.QueueMax, OnAcquired: observe})
		}
		if p.qclosed {
			q.Close()
		}
		m[name] = q
	}
	return q
}

// Queues reports every LLM backend queue, for metrics.
func (p *Pipeline) Queues() map[string]SlotQueue {
	p.qmu.Lock()
	defer p.qmu.Unlock()
	return maps.Clone(p.queues)
}

// ImageQueues reports every image machine's queue, for metrics.
func (p *Pipeline) ImageQueues() map[string]SlotQueue {
	p.qmu.Lock()
	defer p.qmu.Unlock()
	return maps.Clone(p.imageQueues)
}

// acquireLLM waits for a slot of an LLM backend.
func (x *execution) acquireLLM(backend string) (func(), error) {
	told := 0
	return x.acquireIn(x.ctx, x.p.Queue(backend), "llm backend", backend, &told)
}

// acquireIn waits within ctx for a slot of q, publishing queue_status
// events naming backend while the run waits; a run nobody watches for
// IdleCancel while it waits is cancelled, which takes it out of the line
// at once. *told is the last position the run was told (0: none); the
// position told never rises above it, also when a moved call waits anew.
func (x *execution) acquireIn(ctx context.Context, q SlotQueue, kind, backend string, told *int) (func(), error) {
	waited := false
	// The first waiting status and the acquired one are stored; the
	// once-a-second ticks in between only go to live readers.
	release, err := q.AcquireTicket(ctx, x.ticket(), func(s queue.Status) {
		if s.Acquired {
			if waited {
				x.publish(api.QueueStatusEvent{Status: "acquired", Position: 0, WaitedMS: s.Waited.Milliseconds(),
					Message: x.msg("Slot erhalten", "Slot acquired"), Backend: backend})
			}
			return
		}
		secs := int(s.Waited / time.Second)
		if *told > 0 && s.Position > *told {
			s.Position = *told
		}
		*told = s.Position
		ev := api.QueueStatusEvent{Status: "waiting", Position: s.Position, WaitedMS: s.Waited.Milliseconds(),
			Message: x.msg(fmt.Sprintf("Warte auf freien Slot... (%ds)", secs), fmt.Sprintf("Waiting for a free slot... (%ds)", secs)),
			Backend: backend}
		if waited {
			x.publishTransient(ev)
		} else {
			x.publish(ev)
		}
		waited = true
		if x.p.cfg.Hub.Unwatched(x.run.ID) >= x.p.cfg.IdleCancel {
			x.cancel(fault.ErrAbandoned)
		}
	})
	if err != nil {
		switch {
		case errors.Is(err, queue.ErrFull):
			return nil, fmt.Errorf("%s %s: %w", kind, backend, fault.ErrQueueFull)
		case errors.Is(err, queue.ErrClosed):
			return nil, fmt.Errorf("%s %s: %w", kind, backend, fault.ErrShuttingDown)

		}
		return nil, err
	}
	return release, nil
}

// ticket is the run's place in every queue: its first arrival, its turn
// (the number of unfinished runs its client started before it, so a
// student's second run waits behind every other student's first) and its
// group, the workshop it belongs to, so workshops take turns
// (docs/scheduling.md). Runs without a client id take turn 0; runs outside
// a workshop share the default group.
func (x *execution) ticket() queue.Ticket {
	return queue.Ticket{Arrival: x.arrival, Turn: x.p.turnOf(x), Group: x.req.WorkshopID}
}

// turnOf counts the unfinished runs of x's client that started before x:
// over every replica with Config.Turns (falling back to the runs here
// when the store fails), else the runs executing here.
func (p *Pipeline) turnOf(x *execution) int {
	if x.req.ClientID == "" {
		return 0
	}
	if p.cfg.Turns != nil {
		n, err := p.cfg.Turns(x.ctx, x.req.ClientID, x.run.CreatedAt, x.run.ID)
		if err == nil {
			return n
		}
		p.log.Warn("counting a client's runs over the replicas failed; counting the runs here", "run", x.run.ID, "err", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, o := range p.active {
		if o != x && o.req.ClientID == x.req.ClientID &&
			(o.arrival.Before(x.arrival) || o.arrival.Equal(x.arrival) && o.run.ID < x.run.ID) {
			n++
		}
	}
	return n
}
