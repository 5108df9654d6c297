package queue

import (
	"cmp"
	"slices"
)

// Fairness between groups. Waiters are served in the order of
// (round, turn, arrival, seq), where turn is the caller's Ticket.Turn and
// round is the group's: while waiters of only one group are in the line
// every round is 0, so the order is (turn, arrival). Once two or more
// groups wait, each waiter's round is
//
//	served(group) + its index among its group's waiters in (turn, arrival) order
//
// where served(group) counts the slots the group was granted since it last
// had nobody waiting and nobody holding a slot. A group that becomes active
// starts at the lowest count of the groups already active, so it competes
// on equal terms and does not get a backlog of turns. So groups take turns:
// a group that got a slot falls one round behind the others, and a large
// group cannot starve a small one. Rounds are recomputed whenever the line
// or a served count changes while two groups wait; a line of one group
// keeps the cheap sorted insert.

// groupState is what the queue counts per group.
type groupState struct {
	waiting int // in the line
	held    int // holding a slot
	served  int // slots granted since the group was last idle
}

// group returns the state of g, creating it.
func (q *Queue) group(g string) *groupState {
	st, ok := q.groups[g]
	if !ok {
		st = &groupState{}
		first := true
		for _, o := range q.groups {
			if first || o.served < st.served {
				st.served, first = o.served, false
			}
		}
		q.groups[g] = st
	}
	return st
}

// forgetIdleLocked drops a group with nobody waiting or holding.
func (q *Queue) forgetIdleLocked(g string) {
	if st := q.groups[g]; st != nil && st.waiting == 0 && st.held == 0 {
		delete(q.groups, g)
	}
}

// multiLocked reports whether waiters of two or more groups are in line.
func (q *Queue) multiLocked() bool {
	n := 0
	for _, st := range q.groups {
		if st.waiting > 0 {
			if n++; n > 1 {
				return true
			}
		}
	}
	return false
}

// servedLocked records a slot granted to group g.
func (q *Queue) servedLocked(g string) {
	st := q.group(g)
	st.held++
	st.served++
}

// releasedLocked records a slot of group g given back.
func (q *Queue) releasedLocked(g string) {
	if st := q.groups[g]; st != nil {
		st.held--
		q.forgetIdleLocked(g)
	}
}

// leftLocked records that a waiter of group g left the line (granted or
// gone) and brings the order up to date.
func (q *Queue) leftLocked(g string) {
	if st := q.groups[g]; st != nil {
		st.waiting--
		q.forgetIdleLocked(g)
	}
	q.reorderLocked()
}

// insertLocked puts w into the line and returns its index.
func (q *Queue) insertLocked(w *waiter) int {
	q.group(w.group).waiting++
	if !q.multiLocked() {
		i, _ := slices.BinarySearchFunc(q.waiting, w, compareWaiters)
		q.waiting = slices.Insert(q.waiting, i, w)
		return i
	}
	q.waiting = append(q.waiting, w)
	q.reorderLocked()
	return slices.Index(q.waiting, w)
}

// reorderLocked recomputes every waiter's round and sorts the line. With
// one group waiting every round is 0 and the line is already in order
// within that group, so only the rounds are reset.
func (q *Queue) reorderLocked() {
	if !q.multiLocked() {
		changed := false
		for _, w := range q.waiting {
			if w.round != 0 {
				w.round, changed = 0, true
			}
		}
		if changed {
			slices.SortFunc(q.waiting, compareWaiters)
		}
		return
	}
	byGroup := func(a, b *waiter) int {
		if c := cmp.Compare(a.group, b.group); c != 0 {
			return c
		}
		return compareInGroup(a, b)
	}
	slices.SortFunc(q.waiting, byGroup)
	for i := 0; i < len(q.waiting); {
		g := q.waiting[i].group
		base := q.groups[g].served
		j := i
		for ; j < len(q.waiting) && q.waiting[j].group == g; j++ {
			q.waiting[j].round = base + j - i
		}
		i = j
	}
	slices.SortFunc(q.waiting, compareWaiters)
}

// compareInGroup orders waiters by (turn, arrival, seq), ignoring rounds.
func compareInGroup(a, b *waiter) int {
	if c := cmp.Compare(a.turn, b.turn); c != 0 {
		return c
	}
	if c := a.arrival.Compare(b.arrival); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}
