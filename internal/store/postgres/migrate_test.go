package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/postgres/pgtest"
)

// migrationRows lists schema_migrations as "version name applied_at".
func migrationRows(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.pool.Query(context.Background(), `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var (
			v    int
			name string
			at   time.Time
		)
		if err := rows.Scan(&v, &name, &at); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d %s %s", v, name, at.UTC().Format(time.RFC3339Nano)))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no migrations recorded")
	}
	return out
}

func TestReopenKeepsDataAndSkipsMigrations(t *testing.T) {
	ctx := context.Background()
	base, schema := newSchema(t)
	dbURL := pgtest.WithSearchPath(t, base, schema)
	db, err := Open(ctx, dbURL)
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

	db, err = Open(ctx, dbURL)
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

// TestConcurrentOpensMigrateOnce starts several servers at once on an empty
// schema: the advisory lock lets each migration run once and every Open
// succeed.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	base, schema := newSchema(t)
	cfg := schemaConfig(t, base, schema)
	want, err := loadMigrations(mustSub(embedded, "migrations"))
	if err != nil {
		t.Fatal(err)
	}
	const openers = 4
	start := make(chan struct{})
	dbs := make([]*DB, openers)
	errs := make([]error, openers)
	var wg sync.WaitGroup
	for i := range openers {
		wg.Go(func() {
			<-start
			dbs[i], errs[i] = open(context.Background(), cfg.Copy(), mustSub(embedded, "migrations"))
		})
	}
	close(start)
	wg.Wait()
	for i, db := range dbs {
		if db != nil {
			defer db.Close()
		}
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
		}
	}
	if t.Failed() {
		return
	}
	if got := migrationRows(t, dbs[0]); len(got) != len(want) {
		t.Errorf("schema_migrations = %v, want %d rows", got, len(want))
	}
	ctx := context.Background()
	for i, db := range dbs {
		id := fmt.Sprintf("r%d", i)
		if err := db.CreateRun(ctx, &store.Run{ID: id}); err != nil {
			t.Errorf("CreateRun through opener %d: %v", i, err)
		}
	}
}

func TestMigrationsApplyInOrderOnce(t *testing.T) {
	ctx := context.Background()
	base, schema := newSchema(t)
	cfg := schemaConfig(t, base, schema)
	v1 := fstest.MapFS{
		"0001_a.sql": {Data: []byte(`CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1);`)},
		// 0010 sorts after 0002 only by number, not by text order of "10" vs "2".
		"0010_c.sql": {Data: []byte(`INSERT INTO b SELECT y * 10 FROM b;`)},
		"0002_b.sql": {Data: []byte(`CREATE TABLE b (y INTEGER); INSERT INTO b SELECT x + 1 FROM a;`)},
	}
	db := openSchema(t, cfg.Copy(), v1)
	var sum int
	if err := db.pool.QueryRow(ctx, `SELECT SUM(y) FROM b`).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if sum != 22 { // rows 2 and 20
		t.Errorf("SUM(y) = %d, want 22", sum)
	}

	// A later program adds migration 11; 1, 2 and 10 must not run again
	// (their CREATE TABLE would fail).
	v2 := fstest.MapFS{"0011_d.sql": {Data: []byte(`INSERT INTO b VALUES (100);`)}}
	for name, f := range v1 {
		v2[name] = f
	}
	applied, err := migrate(ctx, db.pool, v2)
	if err != nil {
		t.Fatalf("migrate v2: %v", err)
	}
	if !slices.Equal(applied, []int{11}) {
		t.Errorf("applied = %v, want [11]", applied)
	}
	if err := db.pool.QueryRow(ctx, `SELECT SUM(y) FROM b`).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if sum != 122 {
		t.Errorf("SUM(y) after v2 = %d, want 122", sum)
	}

	// The older program refuses the newer schema.
	if _, err := migrate(ctx, db.pool, v1); !errors.Is(err, errSchemaTooNew) {
		t.Errorf("migrate with older migrations = %v, want errSchemaTooNew", err)
	}
}

// TestFailedMigrationLeavesNoTrace checks that a migration failing halfway
// is rolled back whole and not recorded, so a fixed program can apply it.
func TestFailedMigrationLeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	base, schema := newSchema(t)
	cfg := schemaConfig(t, base, schema)
	bad := fstest.MapFS{
		"0001_a.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)},
		"0002_b.sql": {Data: []byte(`CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);`)},
	}
	if db, err := open(ctx, cfg.Copy(), bad); err == nil {
		db.Close()
		t.Fatal("open with a broken migration succeeded")
	}
	good := fstest.MapFS{
		"0001_a.sql": bad["0001_a.sql"],
		"0002_b.sql": {Data: []byte(`CREATE TABLE b (y INTEGER);`)},
	}
	db := openSchema(t, cfg.Copy(), good)
	if got := migrationRows(t, db); len(got) != 2 {
		t.Errorf("schema_migrations = %v, want 2 rows", got)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	base, schema := newSchema(t)
	dbURL := pgtest.WithSearchPath(t, base, schema)
	db, err := Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := Open(ctx, dbURL); !errors.Is(err, errSchemaTooNew) {
		if db != nil {
			db.Close()
		}
		t.Errorf("Open on a newer schema = %v, want errSchemaTooNew", err)
	}
}

func TestOpenRejectsBadURL(t *testing.T) {
	if db, err := Open(context.Background(), "postgres://host:notaport/db"); err == nil {
		db.Close()
		t.Error("Open with a bad URL succeeded")
	}
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
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
