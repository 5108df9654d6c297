package queue

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestFairOrder holds the only slot, lines callers up in the given order
// and checks the order in which they get the slot once it is free.
func TestFairOrder(t *testing.T) {
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	type who struct {
		name  string
		turn  int
		group string
	}
	// student lists one caller per run of a student: turns 0, 1, ...
	student := func(name, group string, runs int) []who {
		var out []who
		for i := range runs {
			out = append(out, who{fmt.Sprintf("%s%d", name, i), i, group})
		}
		return out
	}
	tests := []struct {
		name    string
		callers []who // in arrival order
		want    []string
	}{
		{
			name:    "four first runs before one student's second",
			callers: slices.Concat(student("a", "", 5), student("b", "", 1), student("c", "", 1), student("d", "", 1), student("e", "", 1)),
			want:    []string{"a0", "b0", "c0", "d0", "e0", "a1", "a2", "a3", "a4"},
		},
		{
			name:    "without turns first come first served",
			callers: []who{{"x", 0, ""}, {"y", 0, ""}, {"z", 0, ""}},
			want:    []string{"x", "y", "z"},
		},
		{
			name: "groups take turns",
			callers: slices.Concat(student("p", "X", 1), student("q", "X", 1), student("r", "X", 1), student("s", "X", 1),
				student("u", "Y", 1), student("v", "Y", 1)),
			want: []string{"p0", "u0", "q0", "v0", "r0", "s0"},
		},
		{
			name:    "groups first, then students within a group",
			callers: slices.Concat(student("a", "X", 3), student("b", "X", 1), student("c", "Y", 1)),
			want:    []string{"a0", "c0", "b0", "a1", "a2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := New(1, 100)
			defer q.Close()
			hold := mustHold(t, q)
			callers := make([]*caller, len(tt.callers))
			for i, w := range tt.callers {
				callers[i] = startTicket(t, q, Ticket{Arrival: base.Add(time.Duration(i) * time.Second), Turn: w.turn, Group: w.group})
				callers[i].next(t) // it stands in the line
			}
			hold()
			var got []string
			served := make([]bool, len(callers))
			for range tt.callers {
				i := grantedOne(t, callers, served)
				got = append(got, tt.callers[i].name)
				callers[i].result(t).release()
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("grant order %v, want %v", got, tt.want)
			}
		})
	}
}

// grantedOne waits until one of the callers not yet served has got the
// slot, marks it served and returns its index.
func grantedOne(t *testing.T, callers []*caller, served []bool) int {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.After(wait)
	for {
		for i, c := range callers {
			if !served[i] && len(c.done) > 0 {
				served[i] = true
				return i
			}
		}
		select {
		case <-deadline:
			t.Fatal("nobody got the free slot")
		case <-tick.C:
		}
	}
}

// TestPositionNeverRisesWhenFirstRunsGoAhead lines up a student's second
// run, then three other students' first runs, which go ahead of it: the
// second run's reported position must hold still, never rise, and it is
// served last.
func TestPositionNeverRisesWhenFirstRunsGoAhead(t *testing.T) {
	q := NewWithOptions(Options{Slots: 1, MaxWaiting: 10, Tick: 20 * time.Millisecond})
	defer q.Close()
	hold := mustHold(t, q)
	now := time.Now()
	second := startTicket(t, q, Ticket{Arrival: now, Turn: 1})
	if s := second.next(t); s.Position != 1 {
		t.Fatalf("first status %+v, want position 1", s)
	}
	var others []*caller
	for i := range 3 {
		others = append(others, startTicket(t, q, Ticket{Arrival: now.Add(time.Duration(i+1) * time.Second)}))
	}
	for _, o := range others {
		o.next(t)
	}
	// Several full status passes while three callers stand ahead of it.
	for range 5 {
		if s := second.next(t); s.Position != 1 {
			t.Fatalf("status %+v while newcomers went ahead, want position 1 held", s)
		}
	}
	hold()
	for _, o := range others {
		r := o.result(t)
		if r.err != nil {
			t.Fatal(r.err)
		}
		select {
		case r := <-second.done:
			t.Fatalf("the second run got the slot before a first run: %v", r.err)
		default:
		}
		r.release()
	}
	last := 1
	for {
		s := second.next(t)
		if s.Acquired {
			break
		}
		if s.Position > last {
			t.Fatalf("position rose from %d to %d", last, s.Position)
		}
		last = s.Position
	}
	second.result(t).release()
}
