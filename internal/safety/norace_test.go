//go:build !race

package safety_test

// raceEnabled is true when the tests run with -race.
const raceEnabled = false
