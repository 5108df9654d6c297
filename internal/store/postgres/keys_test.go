package postgres

import (
	"bytes"
	"context"
	"sync"
	"testing"
)

// TestSharedKey: servers starting at once with their own candidates all
// end up with one key, the one stored first; a short candidate is refused.
func TestSharedKey(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := db.SharedKey(ctx, "device", bytes.Repeat([]byte{byte(i + 1)}, 32))
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for i, k := range keys {
		if len(k) != 32 || !bytes.Equal(k, keys[0]) {
			t.Fatalf("server %d got key %x, server 0 %x", i, k, keys[0])
		}
	}
	later, err := db.SharedKey(ctx, "device", bytes.Repeat([]byte{0xee}, 32))
	if err != nil || !bytes.Equal(later, keys[0]) {
		t.Fatalf("a later server got %x, %v", later, err)
	}
	other, err := db.SharedKey(ctx, "other", bytes.Repeat([]byte{0xdd}, 40))
	if err != nil || !bytes.Equal(other, bytes.Repeat([]byte{0xdd}, 40)) {
		t.Fatalf("another name: %x, %v", other, err)
	}
	if _, err := db.SharedKey(ctx, "short", []byte("too short")); err == nil {
		t.Fatal("a short key was stored")
	}
}
