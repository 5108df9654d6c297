package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/storetest"
)

func openTemp(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "dir", "ai4artsed.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db, path
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, _ := openTemp(t)
		return db
	})
}

func TestOpenSettings(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	tests := []struct {
		pool   string
		pragma string
		want   string
	}{
		{"write", "journal_mode", "wal"},
		{"write", "foreign_keys", "1"},
		{"write", "busy_timeout", "10000"},
		{"write", "synchronous", "1"},
		{"read", "journal_mode", "wal"},
		{"read", "foreign_keys", "1"},
		{"read", "query_only", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.pool+"/"+tt.pragma, func(t *testing.T) {
			pool := db.w
			if tt.pool == "read" {
				pool = db.r
			}
			var got string
			if err := pool.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
			}
		})
	}
}

func TestOpenRejectsNonFilePaths(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if db, err := Open(context.Background(), p); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func TestReopenKeepsDataAndSkipsMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateRun(ctx, &store.Run{ID: "r1", Stages: "all"}); err != nil {
		t.Fatal(err)
	}
	if err := db.AppendEvent(ctx, store.Event{RunID: "r1", Seq: 1, Type: "run", Data: []byte(`{"state":"queued"}`)}); err != nil {
		t.Fatal(err)
	}
	appliedAt := migrationRows(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if got := migrationRows(t, db); !slices.Equal(got, appliedAt) {
		t.Errorf("schema_migrations after reopen = %v, want %v", got, appliedAt)
	}
	r, err := db.GetRun(ctx, "r1")
	if err != nil || r.Stages != "all" {
		t.Fatalf("GetRun after reopen = %+v, %v", r, err)
	}
	evs, err := db.Events(ctx, "r1", 0)
	if err != nil || len(evs) != 1 {
		t.Fatalf("Events after reopen = %v, %v", evs, err)
	}
}

// migrationRows lists schema_migrations as "version name applied_at".
func migrationRows(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.r.Query(`SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v int
		var name, at string
		if err := rows.Scan(&v, &name, &at); err != nil {
			t.Fatal(err)
		}
		out = append(out, name+" "+at)
	}
	if len(out) == 0 {
		t.Fatal("no migrations recorded")
	}
	return out
}

func TestMigrationsApplyInOrderOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	v1 := fstest.MapFS{
		"0001_a.sql": {Data: []byte(`CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1);`)},
		// 0010 sorts after 0002 only by number, not by text order of "10" vs "2".
		"0010_c.sql": {Data: []byte(`INSERT INTO b SELECT y * 10 FROM b;`)},
		"0002_b.sql": {Data: []byte(`CREATE TABLE b (y INTEGER); INSERT INTO b SELECT x + 1 FROM a;`)},
	}
	db, err := open(ctx, path, v1)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	var sum int
	if err := db.w.QueryRow(`SELECT SUM(y) FROM b`).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if sum != 22 { // rows 2 and 20
		t.Errorf("SUM(y) = %d, want 22", sum)
	}
	db.Close()

	// A later program adds migration 11; 1, 2 and 10 must not run again
	// (their CREATE TABLE would fail).
	v2 := fstest.MapFS{"0011_d.sql": {Data: []byte(`INSERT INTO b VALUES (100);`)}}
	for name, f := range v1 {
		v2[name] = f
	}
	applied, err := migrate(ctx, mustOpenRaw(t, path), v2)
	if err != nil {
		t.Fatalf("migrate v2: %v", err)
	}
	if !slices.Equal(applied, []int{11}) {
		t.Errorf("applied = %v, want [11]", applied)
	}

	// An older program must refuse a newer database.
	if db, err := open(ctx, path, v1); err == nil {
		db.Close()
		t.Error("open with older migrations succeeded on a newer database")
	}
}

func TestMigrationNamesValidated(t *testing.T) {
	tests := map[string]fstest.MapFS{
		"no number":    {"init.sql": {Data: []byte(`SELECT 1;`)}},
		"zero":         {"0000_init.sql": {Data: []byte(`SELECT 1;`)}},
		"same version": {"0001_a.sql": {Data: []byte(`SELECT 1;`)}, "1_b.sql": {Data: []byte(`SELECT 1;`)}},
	}
	for name, fsys := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := loadMigrations(fsys); err == nil {
				t.Error("loadMigrations succeeded")
			}
		})
	}
}

// mustOpenRaw opens path without applying migrations and returns its write pool.
func mustOpenRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := open(context.Background(), path, fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db.w
}

// TestReadersDoNotWaitForWriter holds a write transaction open and checks
// that reads still answer at once, from the last committed state.
func TestReadersDoNotWaitForWriter(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	if err := db.CreateRun(ctx, &store.Run{ID: "r1", Stages: "all"}); err != nil {
		t.Fatal(err)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`UPDATE runs SET state = 'running' WHERE id = 'r1'`); err != nil {
		t.Fatal(err)
	}

	type result struct {
		run *store.Run
		err error
	}
	got := make(chan result, 1)
	go func() {
		r, err := db.GetRun(ctx, "r1")
		got <- result{r, err}
	}()
	select {
	case res := <-got:
		if res.err != nil {
			t.Fatalf("GetRun during write: %v", res.err)
		}
		if res.run.State != store.StateQueued {
			t.Errorf("reader saw uncommitted state %q", res.run.State)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("GetRun blocked behind an open write transaction")
	}
}
