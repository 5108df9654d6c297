package sqlite

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that closing a DB leaves no goroutines behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
