package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// asMainEnv, set to 1 in a child's environment, makes the test binary behave
// as the real ai4artsed binary, so end-to-end tests can start
// `ai4artsed simulate swarmui ...` as a real process (see supervisor_test.go).
const asMainEnv = "AI4ARTSED_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := dispatch(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
		stop()
		os.Exit(code)
	}
	// Every stream, run and supervised child must be gone when the tests end.
	goleak.VerifyTestMain(m)
}
