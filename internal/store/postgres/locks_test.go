package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// TestTryLock checks the advisory lock between two servers (two pools on
// one schema): one holds it at a time, release frees it, and so does the
// end of the holder's session; another key is independent.
func TestTryLock(t *testing.T) {
	base, schema := newSchema(t)
	cfg := schemaConfig(t, base, schema)
	a := openSchema(t, cfg, mustSub(embedded, "migrations"))
	cfgB, _ := pgxpool.ParseConfig(cfg.ConnString())
	cfgB.ConnConfig.RuntimeParams["search_path"] = schema
	b, err := open(context.Background(), cfgB, mustSub(embedded, "migrations"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	try := func(db *DB, key string) (func(), bool) {
		t.Helper()
		release, ok, err := db.TryLock(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return release, ok
	}
	relA, ok := try(a, "swarmui gpu1")
	if !ok {
		t.Fatal("the first TryLock failed")
	}
	if _, ok := try(b, "swarmui gpu1"); ok {
		t.Fatal("a second server took a held lock")
	}
	if _, ok := try(a, "swarmui gpu1"); ok {
		t.Fatal("the same server took its held lock again on another connection")
	}
	relOther, ok := try(b, "swarmui gpu2")
	if !ok {
		t.Fatal("another key was refused")
	}
	relOther()
	relA()
	relA()
	relB, ok := try(b, "swarmui gpu1")
	if !ok {
		t.Fatal("the lock was not free after release")
	}

	// The holder's session ends (a dead server, a lost connection): the
	// lock is free for the others.
	var killed bool
	err = a.pool.QueryRow(ctx, `SELECT pg_terminate_backend(l.pid) FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
		AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1 || ' ' || current_schema(), 0)`, "swarmui gpu1").Scan(&killed)
	if err != nil || !killed {
		t.Fatalf("terminate the holder's session: %v %v", killed, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		rel, ok := try(a, "swarmui gpu1")
		if ok {
			rel()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lock of an ended session is still held")
		}
		time.Sleep(20 * time.Millisecond)
	}
	relB() // its connection is gone: release closes it and returns
}
