package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/storetest"
)

func TestInterruptAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite")
	storetest.Restart(t, func(t *testing.T) store.Store {
		db, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}
