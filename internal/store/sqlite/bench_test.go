package sqlite

import (
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/storetest"
)

// BenchmarkStore runs the shared store benchmarks against SQLite.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(tb testing.TB) store.Store { db, _ := openTemp(tb); return db })
}
