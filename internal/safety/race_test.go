//go:build race

package safety_test

// raceEnabled is true when the tests run with -race, which slows them too
// much for timing assertions.
const raceEnabled = true
