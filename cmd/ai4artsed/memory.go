package main

import "runtime/debug"

// defaultGCPercent is the garbage collector's target (Go's GOGC) when the
// operator has not set GOGC: the heap may grow by half its live size before
// a collection, instead of doubling. The server's memory is mostly state
// that lives as long as a browser waits (connection buffers, stacks, runs),
// and its own CPU work is small next to the LLM and image machines', so
// collecting twice as often costs little CPU and keeps a crowd of waiting
// browsers well inside a small machine's memory (docs/deploy.md "Memory",
// figures in docs/benchmarks.md "Queue load").
const defaultGCPercent = 50

// tuneGC applies defaultGCPercent unless GOGC is set, so an operator's own
// choice always wins.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}
