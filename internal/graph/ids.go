package graph

import (
	"slices"
	"strconv"
)

// isNumericID reports whether id is a canonical non-negative decimal integer
// ("0", "17"; not "007", "+1" or "1.0").
func isNumericID(id string) bool {
	if id == "" || (len(id) > 1 && id[0] == '0') {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// compareIDs orders ids naturally: numeric ids by value (of any length), before
// all other ids, which compare bytewise.
func compareIDs(a, b string) int {
	na, nb := isNumericID(a), isNumericID(b)
	switch {
	case na && nb:
		if len(a) != len(b) {
			return len(a) - len(b)
		}
	case na:
		return -1
	case nb:
		return 1
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sortIDs(ids []string) { slices.SortFunc(ids, compareIDs) }

// incDecimal adds one to a canonical decimal string of any length.
func incDecimal(s string) string {
	b := []byte(s)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

// idAllocator hands out node ids that collide with no existing id: after the
// largest numeric id if the graph has numeric ids, else "lora_1", "lora_2", ...
type idAllocator struct {
	g    *Graph
	last string // largest numeric id handed out or found; "" if none
	n    int
}

func newIDAllocator(g *Graph) *idAllocator {
	a := &idAllocator{g: g}
	for id := range g.nodes {
		if isNumericID(id) && (a.last == "" || compareIDs(id, a.last) > 0) {
			a.last = id
		}
	}
	return a
}

func (a *idAllocator) next() string {
	for {
		var id string
		if a.last != "" {
			a.last = incDecimal(a.last)
			id = a.last
		} else {
			a.n++
			id = "lora_" + strconv.Itoa(a.n)
		}
		if !a.g.Has(id) {
			return id
		}
	}
}
