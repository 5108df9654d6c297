package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"sync"

	"modernc.org/sqlite"
)

// Every call into SQLite runs on a goroutine owned by its connection, its
// lane, instead of on the caller's goroutine (docs/deploy.md "Memory").
//
// modernc.org/sqlite runs SQLite's translated C code on the calling
// goroutine, 5-10 KiB deep. A goroutine's stack doubles when it runs out and
// is halved by the garbage collector only while less than a quarter of it
// is in use, so thousands of runs and event streams that each wrote or read
// once kept stacks twice as large as their own code needs, and Go counts
// stacks into the heap goal as well. On a lane the deep frames live on a
// handful of goroutines, one per open connection, and the callers stay
// shallow. A call costs one hand-off between goroutines, small against the
// statement itself.
//
// database/sql uses a driver connection from one goroutine at a time; the
// lane's mutex keeps that true for its own hand-off regardless.

// laneConnector opens SQLite connections that run on lanes.
type laneConnector struct {
	inner driver.Connector
}

// newLaneConnector returns a connector for dsn (the driver's DSN syntax).
func newLaneConnector(dsn string) (driver.Connector, error) {
	inner, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return laneConnector{inner: inner}, nil
}

// Connect opens a connection on a new lane.
func (c laneConnector) Connect(ctx context.Context) (driver.Conn, error) {
	l := newLane()
	conn, err := onLane(l, func() (driver.Conn, error) { return c.inner.Connect(ctx) })
	if err != nil {
		l.stop()
		return nil, err
	}
	return &laneConn{l: l, c: conn}, nil
}

// Driver returns the SQLite driver.
func (c laneConnector) Driver() driver.Driver { return c.inner.Driver() }

// lane is a goroutine that runs the calls of one connection.
type lane struct {
	mu   sync.Mutex
	jobs chan func()
	done chan any // the recovered panic of the last job, or nil
}

func newLane() *lane {
	l := &lane{jobs: make(chan func()), done: make(chan any)}
	go l.loop()
	return l
}

func (l *lane) loop() {
	for f := range l.jobs {
		l.done <- run(f)
	}
}

// run runs f and returns what it panicked with, so do can panic again on
// the caller's goroutine, where a panic in a driver call surfaced before.
func run(f func()) (p any) {
	defer func() { p = recover() }()
	f()
	return nil
}

// do runs f on the lane and waits for it.
func (l *lane) do(f func() error) error {
	var err error
	l.mu.Lock()
	l.jobs <- func() { err = f() }
	p := <-l.done
	l.mu.Unlock()
	if p != nil {
		panic(fmt.Sprintf("sqlite: driver call panicked: %v", p))
	}
	return err
}

// onLane runs f on l and returns its results.
func onLane[T any](l *lane, f func() (T, error)) (T, error) {
	var v T
	err := l.do(func() (err error) { v, err = f(); return err })
	return v, err
}

// stop ends the lane's goroutine; the lane takes no calls afterwards.
func (l *lane) stop() {
	l.mu.Lock()
	close(l.jobs)
	l.mu.Unlock()
}

// laneConn is a driver connection whose calls run on its lane. It offers
// exactly the optional interfaces database/sql uses that the SQLite
// connection has.
type laneConn struct {
	l *lane
	c driver.Conn
}

var (
	_ driver.Conn               = (*laneConn)(nil)
	_ driver.ConnBeginTx        = (*laneConn)(nil)
	_ driver.ConnPrepareContext = (*laneConn)(nil)
	_ driver.ExecerContext      = (*laneConn)(nil)
	_ driver.QueryerContext     = (*laneConn)(nil)
	_ driver.Pinger             = (*laneConn)(nil)
	_ driver.SessionResetter    = (*laneConn)(nil)
	_ driver.Validator          = (*laneConn)(nil)
)

// Prepare implements driver.Conn.
func (c *laneConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// PrepareContext implements driver.ConnPrepareContext.
func (c *laneConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := onLane(c.l, func() (driver.Stmt, error) {
		return c.c.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	})
	if err != nil {
		return nil, err
	}
	return &laneStmt{l: c.l, s: s}, nil
}

// Close implements driver.Conn; it also ends the lane.
func (c *laneConn) Close() error {
	err := c.l.do(c.c.Close)
	c.l.stop()
	return err
}

// Begin implements driver.Conn.
func (c *laneConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx implements driver.ConnBeginTx.
func (c *laneConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := onLane(c.l, func() (driver.Tx, error) { return c.c.(driver.ConnBeginTx).BeginTx(ctx, opts) })
	if err != nil {
		return nil, err
	}
	return &laneTx{l: c.l, tx: tx}, nil
}

// ExecContext implements driver.ExecerContext.
func (c *laneConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return onLane(c.l, func() (driver.Result, error) {
		return c.c.(driver.ExecerContext).ExecContext(ctx, query, args)
	})
}

// QueryContext implements driver.QueryerContext.
func (c *laneConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := onLane(c.l, func() (driver.Rows, error) {
		return c.c.(driver.QueryerContext).QueryContext(ctx, query, args)
	})
	if err != nil {
		return nil, err
	}
	return &laneRows{l: c.l, r: rows}, nil
}

// Ping implements driver.Pinger.
func (c *laneConn) Ping(ctx context.Context) error {
	return c.l.do(func() error { return c.c.(driver.Pinger).Ping(ctx) })
}

// ResetSession implements driver.SessionResetter. It and IsValid only
// look at a flag of the connection, shallow enough for the caller's
// goroutine, and database/sql calls them between statements.
func (c *laneConn) ResetSession(ctx context.Context) error {
	return c.c.(driver.SessionResetter).ResetSession(ctx)
}

// IsValid implements driver.Validator.
func (c *laneConn) IsValid() bool { return c.c.(driver.Validator).IsValid() }

// laneStmt is a prepared statement whose calls run on its connection's
// lane.
type laneStmt struct {
	l *lane
	s driver.Stmt
}

var (
	_ driver.StmtExecContext  = (*laneStmt)(nil)
	_ driver.StmtQueryContext = (*laneStmt)(nil)
)

// Close implements driver.Stmt.
func (s *laneStmt) Close() error { return s.l.do(s.s.Close) }

// NumInput implements driver.Stmt; the SQLite driver answers it without
// calling into SQLite.
func (s *laneStmt) NumInput() int { return s.s.NumInput() }

// Exec implements driver.Stmt.
func (s *laneStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), named(args))
}

// Query implements driver.Stmt.
func (s *laneStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), named(args))
}

// ExecContext implements driver.StmtExecContext.
func (s *laneStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return onLane(s.l, func() (driver.Result, error) { return s.s.(driver.StmtExecContext).ExecContext(ctx, args) })
}

// QueryContext implements driver.StmtQueryContext.
func (s *laneStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := onLane(s.l, func() (driver.Rows, error) { return s.s.(driver.StmtQueryContext).QueryContext(ctx, args) })
	if err != nil {
		return nil, err
	}
	return &laneRows{l: s.l, r: rows}, nil
}

// named turns positional arguments into the ordinal form of the context
// interfaces.
func named(args []driver.Value) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, v := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nv
}

// maxLaneBatch is the most rows one hand-off to the lane steps through. The
// first hand-off steps through two (a single row and the end of a lookup),
// and each further one twice as many as the last.
const maxLaneBatch = 64

// laneRows is a result set whose steps run on its connection's lane, a
// batch of rows per hand-off. The driver hands out every value as a copy of
// its own, so rows read ahead stay valid.
type laneRows struct {
	l     *lane
	r     driver.Rows
	buf   [][]driver.Value // rows read ahead
	next  int              // the first row of buf not yet returned
	batch int              // how many rows the last hand-off asked for
	end   error            // what ended the last batch early (io.EOF at the end)
}

// Columns implements driver.Rows; the names are read at prepare time.
func (r *laneRows) Columns() []string { return r.r.Columns() }

// Close implements driver.Rows.
func (r *laneRows) Close() error {
	r.buf = nil
	return r.l.do(r.r.Close)
}

// Next implements driver.Rows.
func (r *laneRows) Next(dest []driver.Value) error {
	if r.next == len(r.buf) {
		if r.end != nil {
			return r.end
		}
		r.fill(len(dest))
		if r.next == len(r.buf) {
			return r.end
		}
	}
	copy(dest, r.buf[r.next])
	r.buf[r.next] = nil
	r.next++
	return nil
}

// fill reads the next batch of rows of width columns on the lane.
func (r *laneRows) fill(width int) {
	r.batch = min(max(2*r.batch, 2), maxLaneBatch)
	r.buf, r.next = r.buf[:0], 0
	r.l.do(func() error {
		for range r.batch {
			row := make([]driver.Value, width)
			if err := r.r.Next(row); err != nil {
				r.end = err
				return nil
			}
			r.buf = append(r.buf, row)
		}
		return nil
	})
}

// laneTx is a transaction whose end runs on its connection's lane.
type laneTx struct {
	l  *lane
	tx driver.Tx
}

// Commit implements driver.Tx.
func (t *laneTx) Commit() error { return t.l.do(t.tx.Commit) }

// Rollback implements driver.Tx.
func (t *laneTx) Rollback() error { return t.l.do(t.tx.Rollback) }
