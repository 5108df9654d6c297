package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// openLaneDB opens a pool of lane connections to the file at path and
// closes it when the test ends.
func openLaneDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := openLanes(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// stackPerCaller runs call on n goroutines that then stay blocked, and
// returns the growth of the runtime's stack memory per goroutine while
// they are blocked: what the callers' stacks grew to.
func stackPerCaller(t *testing.T, n int, call func() error) float64 {
	t.Helper()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.StackInuse
	block := make(chan struct{})
	var called, ended sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		called.Add(1)
		ended.Add(1)
		go func() {
			defer ended.Done()
			if err := call(); err != nil {
				errs <- err
			}
			called.Done()
			<-block
		}()
	}
	called.Wait()
	runtime.ReadMemStats(&ms)
	close(block)
	ended.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return float64(ms.StackInuse-base) / float64(n)
}

// TestLaneKeepsCallersShallow checks that the deep frames of SQLite stay on
// the lanes: goroutines that wrote and read through a lane connection hold
// much smaller stacks than goroutines that did the same on the driver
// directly.
func TestLaneKeepsCallersShallow(t *testing.T) {
	dir := t.TempDir()
	setup := func(db *sql.DB) {
		if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)`); err != nil {
			t.Fatal(err)
		}
	}
	work := func(db *sql.DB) func() error {
		return func() error {
			if _, err := db.Exec(`INSERT INTO t (v) VALUES (?)`, "an idea"); err != nil {
				return err
			}
			var n int
			return db.QueryRow(`SELECT count(*) FROM t WHERE v LIKE ?`, "%idea%").Scan(&n)
		}
	}
	direct, err := sql.Open("sqlite", filepath.Join(dir, "direct.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	laned := openLaneDB(t, filepath.Join(dir, "lane.db"))
	for _, db := range []*sql.DB{direct, laned} {
		db.SetMaxOpenConns(1)
		setup(db)
	}
	const n = 200
	d := stackPerCaller(t, n, work(direct))
	l := stackPerCaller(t, n, work(laned))
	t.Logf("stack per caller: direct %.0f B, on a lane %.0f B", d, l)
	if l > d/1.5 {
		t.Errorf("callers on a lane hold %.0f B of stack each, the driver's direct callers %.0f B: want well under", l, d)
	}
}

// TestLaneCancel checks that a cancelled statement ends on its lane with the
// context's error and leaves the connection usable.
func TestLaneCancel(t *testing.T) {
	db := openLaneDB(t, filepath.Join(t.TempDir(), "cancel.db"))
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	var n int64
	err := db.QueryRowContext(ctx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c`).Scan(&n)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		t.Fatalf("endless query: err %v, want the deadline", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the cancelled query took %v", took)
	}
	if err := db.QueryRow(`SELECT 41 + 1`).Scan(&n); err != nil || n != 42 {
		t.Fatalf("after the cancel: %d, %v", n, err)
	}
}

// TestLaneRowsInBatches reads result sets of every size around the batch
// boundaries and checks each row arrives once, in order, with its values.
func TestLaneRowsInBatches(t *testing.T) {
	db := openLaneDB(t, filepath.Join(t.TempDir(), "rows.db"))
	for _, n := range []int{0, 1, 2, 3, 6, 7, 14, 15, 64, 65, 190, 300} {
		rows, err := db.Query(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ?)
			SELECT x, 'row ' || x, randomblob(8) FROM c WHERE ? > 0`, n, n)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		blobs := map[string]bool{}
		for rows.Next() {
			var x int
			var s string
			var b []byte
			if err := rows.Scan(&x, &s, &b); err != nil {
				t.Fatal(err)
			}
			got++
			if x != got || s != "row "+strconv.Itoa(got) || len(b) != 8 || blobs[string(b)] {
				t.Fatalf("%d rows: row %d is (%d, %q, %x)", n, got, x, s, b)
			}
			blobs[string(b)] = true
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if got != n {
			t.Errorf("%d rows: read %d", n, got)
		}
	}
}

// TestLaneRowsError checks that an error in the middle of a result set
// comes after the rows before it, as it does on the driver directly.
func TestLaneRowsError(t *testing.T) {
	db := openLaneDB(t, filepath.Join(t.TempDir(), "rowserr.db"))
	rows, err := db.Query(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 100)
		SELECT CASE WHEN x = 40 THEN json('not json') ELSE x END FROM c`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := 0
	for rows.Next() {
		got++
	}
	if got != 39 || rows.Err() == nil {
		t.Errorf("read %d rows, then err %v: want 39 rows, then the malformed JSON", got, rows.Err())
	}
}

// BenchmarkLaneHandOff measures one call through a lane that does nothing:
// the cost a statement pays for running on its connection's goroutine.
func BenchmarkLaneHandOff(b *testing.B) {
	l := newLane()
	defer l.stop()
	for b.Loop() {
		l.do(func() error { return nil })
	}
}
