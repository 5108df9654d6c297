package queue

import "time"

// Statuses reach waiters from one reporter goroutine per Queue, not one timer
// per waiter. It runs only while someone waits: enqueueing starts it, and it
// stops when it finds the line empty or the queue closed. Each pass walks the
// sorted line once under q.mu and posts a note to each waiter's channel
// (latest wins, never blocking); the waiter's own Acquire goroutine turns the
// note into an onStatus call, so callbacks can never run after Acquire
// returns and a slow callback delays nobody else.
//
// Every period (9/10 of Tick) a full pass sends every waiter its status.
// When someone leaves the line (granted a slot or cancelled) the reporter is
// poked and sends a status to the waiters whose position dropped, at most
// once per minGap (Tick/10, at most 100ms) so that bursts of cancels cost one pass.

// poke tells the reporter that positions may have changed.
func (q *Queue) poke() {
	select {
	case q.nudge <- struct{}{}:
	default:
	}
}

// startReporterLocked starts the reporter goroutine unless it runs already.
func (q *Queue) startReporterLocked() {
	if q.reporting || q.closed {
		return
	}
	q.reporting = true
	done := make(chan struct{})
	q.reportDone = done
	go q.runReporter(done)
}

func (q *Queue) runReporter(done chan struct{}) {
	defer close(done)
	ticker := time.NewTicker(q.period)
	defer ticker.Stop()
	pending := time.NewTimer(q.minGap)
	pending.Stop()
	defer pending.Stop()
	var pendingC <-chan time.Time
	var last time.Time
	for {
		full := false
		select {
		case <-q.stop:
			return
		case <-ticker.C:
			full = true
		case <-q.nudge:
			if pendingC != nil {
				continue
			}
			if wait := q.minGap - time.Since(last); wait > 0 {
				pending.Reset(wait)
				pendingC = pending.C
				continue
			}
		case <-pendingC:
			pendingC = nil
		}
		if !q.pass(full) {
			return
		}
		last = time.Now()
	}
}

// pass posts statuses: to every waiter if full, otherwise only to those
// whose position changed. It reports false, and marks the reporter stopped,
// when nobody waits any more.
//
// A waiter's actual position can go up: a run coming back for a later LLM
// call carries its earlier arrival and is put ahead of runs that arrived
// after it, a student's first run goes ahead of another's second, and a
// group that had fewer slots goes ahead of one that had more. Students watching their number climb would rightly think the
// queue unfair, so the reported position is the lowest seen so far,
// min(last reported, actual). It catches up with the actual position as the
// waiters ahead leave.
func (q *Queue) pass(full bool) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || len(q.waiting) == 0 {
		q.reporting = false
		return false
	}
	now := time.Now()
	for i, w := range q.waiting {
		pos := min(i+1, w.lastPos)
		if !full && pos == w.lastPos {
			continue
		}
		w.lastPos = pos
		w.post(note{kind: noteWait, pos: pos, waited: now.Sub(w.start)})
	}
	return true
}
