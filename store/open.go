package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// sqlStore is the Store over database/sql, for both engines.
type sqlStore struct {
	db *sql.DB
	d  dialect
	// wmu serializes writers on SQLite, which allows one writer at a time:
	// waiting here is cheaper and fairer than SQLite's busy handler. It is
	// nil on PostgreSQL.
	wmu chan struct{}

	// tasks is PutTask's group commit; putTaskStmt and runExistsStmt are
	// its statements, prepared once (parsing the upsert cost as much as
	// running it).
	tasks         taskBatcher
	putTaskStmt   *sql.Stmt
	runExistsStmt *sql.Stmt
}

var _ Store = (*sqlStore)(nil)

// Open opens the store named by dsn and brings its schema up to date.
//
// A dsn of the form postgres://… or postgresql://… opens PostgreSQL (any
// connection string pgx accepts). Anything else is a SQLite database file:
// a plain path, sqlite://path (sqlite:///abs/path for an absolute path) or
// file:path; the file and its directory are created when missing, and
// ":memory:" gives a private in-memory database. SQLite runs in WAL mode with
// foreign keys on, a busy timeout, and one writer at a time.
//
// A SQLite file is checked before anything is written to it: one that is
// not a SQLite database, is read-only, is damaged (PRAGMA quick_check) or
// belongs to another application (its application_id, or tables without
// Sluice's) is refused with ErrUnusable and left as it is; a new or Sluice
// file is marked with Sluice's application_id.
func Open(ctx context.Context, dsn string) (Store, error) {
	var (
		s   *sqlStore
		err error
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s, err = openPostgres(dsn)
	default:
		s, err = openSQLite(dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// prepare prepares the statements the store keeps.
func (s *sqlStore) prepare(ctx context.Context) error {
	var err error
	if s.putTaskStmt, err = s.db.PrepareContext(ctx, s.d.rebind(putTask)); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	if s.runExistsStmt, err = s.db.PrepareContext(ctx, s.d.rebind(runExists+s.d.forKeyShare())); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	return nil
}

func openPostgres(dsn string) (*sqlStore, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &sqlStore{db: db, d: postgresDialect}, nil
}

// sqlitePath extracts the file path from a SQLite dsn.
func sqlitePath(dsn string) (string, error) {
	p, uri := dsn, false
	for _, prefix := range []string{"sqlite://", "sqlite:", "file://", "file:"} {
		if rest, ok := strings.CutPrefix(dsn, prefix); ok {
			p, uri = rest, true
			break
		}
	}
	if uri {
		p, _, _ = strings.Cut(p, "?")
		up, err := url.PathUnescape(p)
		if err != nil {
			return "", fmt.Errorf("open sqlite %q: %v: %w", dsn, err, ErrInvalid)
		}
		p = up
	}
	if p == "" {
		return "", fmt.Errorf("open sqlite %q: empty path: %w", dsn, ErrInvalid)
	}
	if strings.ContainsRune(p, '?') {
		return "", fmt.Errorf("open sqlite %q: '?' in path: %w", dsn, ErrInvalid)
	}
	return p, nil
}

func openSQLite(dsn string) (*sqlStore, error) {
	path, err := sqlitePath(dsn)
	if err != nil {
		return nil, err
	}
	memory := path == ":memory:"
	if !memory {
		if err := checkSQLiteFile(path); err != nil {
			return nil, err
		}
		if err := inspectSQLite(context.Background(), path); err != nil {
			return nil, err
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("open sqlite %q: %w", path, err)
			}
		}
	}
	// Every connection gets these; _txlock=immediate takes the write lock
	// at BEGIN so a read-then-write transaction never fails to upgrade.
	params := url.Values{}
	params.Set("_txlock", "immediate")
	params.Add("_pragma", "busy_timeout(10000)")
	params.Add("_pragma", "foreign_keys(1)")
	params.Add("_pragma", "synchronous(NORMAL)")
	// A 16 MB page cache per connection keeps the indexes a list walks
	// (COUNT included) in memory at 100,000 runs; the default 2 MB does not.
	params.Add("_pragma", "cache_size(-16000)")
	if !memory {
		params.Add("_pragma", "journal_mode(WAL)")
	}
	db, err := sql.Open("sqlite", path+"?"+params.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	if memory {
		// Each connection to :memory: is its own database: keep exactly one.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	} else {
		// Readers run in parallel under WAL; writers queue on wmu.
		n := min(max(4, runtime.GOMAXPROCS(0)), 16)
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
	}
	s := &sqlStore{db: db, d: sqliteDialect, wmu: make(chan struct{}, 1)}
	if !memory {
		if err := s.markSQLite(context.Background(), path); err != nil {
			db.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *sqlStore) Close() error {
	for _, st := range []*sql.Stmt{s.putTaskStmt, s.runExistsStmt} {
		if st != nil {
			st.Close()
		}
	}
	return s.db.Close()
}

// querier is what both *sql.DB and *sql.Tx provide.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// exec, query and queryRow run a query written with ? placeholders on q,
// rebinding it for the engine.
func (s *sqlStore) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	return q.ExecContext(ctx, s.d.rebind(query), args...)
}

func (s *sqlStore) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	return q.QueryContext(ctx, s.d.rebind(query), args...)
}

func (s *sqlStore) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	return q.QueryRowContext(ctx, s.d.rebind(query), args...)
}

// lockWriter waits for the turn to write (SQLite only) and returns what
// ends it.
func (s *sqlStore) lockWriter() (unlock func()) {
	if s.wmu == nil {
		return func() {}
	}
	s.wmu <- struct{}{}
	return func() { <-s.wmu }
}

// inTx runs fn in a write transaction and commits it when fn returns nil.
func (s *sqlStore) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.wmu != nil {
		select {
		case s.wmu <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-s.wmu }()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", mapErr(err))
	}
	return nil
}

// affectedOne turns a result that touched no row into ErrNotFound.
func affectedOne(res sql.Result, what string, id string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s %q: %w", what, id, ErrNotFound)
	}
	return nil
}

// notFound maps sql.ErrNoRows to ErrNotFound, naming what was looked up.
func notFound(err error, what, id string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", what, id, ErrNotFound)
	}
	return fmt.Errorf("%s %q: %w", what, id, err)
}

// newID returns a random (version 4) UUID string.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	var out [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hex[c>>4], hex[c&0xf]
		j += 2
	}
	return string(out[:])
}

// now is the store's clock: UTC at the stored precision.
func now() time.Time { return normTime(time.Now()) }

// normTime returns t in UTC truncated to the stored precision (microseconds),
// keeping the zero time zero.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// orNow returns the normalized t, or now when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return now()
	}
	return normTime(t)
}
