package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrLocked is a store (or a data directory) another server uses.
var ErrLocked = errors.New("in use by another server")

// serverLockKey is the PostgreSQL advisory lock a server holds on its
// database ("sluice" in ASCII, plus one: not migrationLockKey).
const serverLockKey = migrationLockKey + 1

// LockServer takes the lock that makes a server the only one using the
// store named by dsn, and returns what releases it. A SQLite database is
// locked with flock(2) on "<file>.lock" beside it; a PostgreSQL database
// with a session-level advisory lock held on a connection of its own. A
// store another server holds is an ErrLocked naming that server as it
// described itself (holder: its process, address, start time). An
// in-memory SQLite database needs no lock. A PostgreSQL lock is checked
// every LockKeepInterval and taken again after a restart of the database;
// Lost fires if another server took it meanwhile.
func LockServer(ctx context.Context, dsn, holder string) (Lock, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return lockPostgres(ctx, dsn, holder)
	}
	path, err := sqlitePath(dsn)
	if err != nil {
		return nil, err
	}
	if path == ":memory:" {
		return noLock{}, nil
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
	}
	return LockFile(path+".lock", holder)
}

// fileLock is a held flock(2) lock.
type fileLock struct{ f *os.File }

func (l *fileLock) Close() error { return l.f.Close() } // closing releases it

// Lost never fires: a process's flock lasts as long as the process.
func (l *fileLock) Lost() <-chan struct{} { return nil }

func (l *fileLock) Err() error { return nil }

// noLock is the lock of an in-memory database.
type noLock struct{}

func (noLock) Close() error          { return nil }
func (noLock) Lost() <-chan struct{} { return nil }
func (noLock) Err() error            { return nil }

// LockFile takes an exclusive flock(2) lock on path (created when
// missing) and writes holder into it; the lock lasts until the Closer is
// closed or the process ends, however it ends (kill -9 included). A file
// another process holds is an ErrLocked naming the holder it recorded.
func LockFile(path, holder string) (Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := io.ReadAll(io.LimitReader(f, 1024))
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := strings.TrimSpace(string(b))
			if who == "" {
				who = "another process"
			}
			return nil, fmt.Errorf("%s is held by %s: %w", path, who, ErrLocked)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(holder+"\n"), 0)
	}
	return &fileLock{f: f}, nil
}

// Lock is a held server lock.
type Lock interface {
	io.Closer
	// Lost is closed when the lock was lost to another server (its error
	// in Err): the holder must stop using the store.
	Lost() <-chan struct{}
	Err() error
}

// LockKeepInterval is how often a PostgreSQL lock's session is checked;
// a session the database lost (PostgreSQL restarted) is replaced and the
// lock taken again.
var LockKeepInterval = 2 * time.Second

// pgLock is a held advisory lock: the session it lives in, checked and,
// when PostgreSQL lost it (a restart), taken again on a new session.
type pgLock struct {
	db     *sql.DB
	holder string
	stop   chan struct{}
	done   chan struct{}
	lost   chan struct{}

	mu   sync.Mutex
	conn *sql.Conn
	err  error
}

func (l *pgLock) Lost() <-chan struct{} { return l.lost }

func (l *pgLock) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *pgLock) Close() error {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	var err error
	if l.conn != nil {
		err = l.conn.Close()
	}
	return errors.Join(err, l.db.Close())
}

// keep checks the lock's session and takes the lock again on a new one
// when the session is gone; if another server took it meanwhile, the
// lock is lost.
func (l *pgLock) keep() {
	defer close(l.done)
	t := time.NewTicker(LockKeepInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		l.mu.Lock()
		conn := l.conn
		l.mu.Unlock()
		if conn != nil && conn.PingContext(ctx) == nil {
			cancel()
			continue
		}
		if conn != nil {
			conn.Close()
		}
		newConn, ok, who, err := tryLock(ctx, l.db, l.holder)
		cancel()
		l.mu.Lock()
		l.conn = newConn
		if err == nil && !ok {
			l.err = fmt.Errorf("the database lock was lost while PostgreSQL was unreachable: the database is now held by %s: %w", who, ErrLocked)
			l.mu.Unlock()
			close(l.lost)
			return
		}
		l.mu.Unlock()
	}
}

// tryLock takes the server lock on a new session of db; ok false says
// who holds it instead.
func tryLock(ctx context.Context, db *sql.DB, holder string) (conn *sql.Conn, ok bool, who string, err error) {
	conn, err = db.Conn(ctx)
	if err != nil {
		return nil, false, "", err
	}
	// The holder is the session's application_name, which another
	// server reads to say who holds the lock.
	name := holder
	if len(name) > 63 {
		name = name[:63]
	}
	if _, err := conn.ExecContext(ctx, `SELECT set_config('application_name', $1, false)`, name); err != nil {
		conn.Close()
		return nil, false, "", err
	}
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, int64(serverLockKey)).Scan(&ok); err != nil {
		conn.Close()
		return nil, false, "", err
	}
	if ok {
		return conn, true, "", nil
	}
	var w sql.NullString
	_ = conn.QueryRowContext(ctx, `SELECT a.application_name || ' (PostgreSQL backend ' || a.pid || ', from ' ||
		COALESCE(host(a.client_addr), 'a local socket') || ')'
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND (l.classid::bigint << 32 | l.objid::bigint) = $1 LIMIT 1`, int64(serverLockKey)).Scan(&w)
	conn.Close()
	who = "another server"
	if w.Valid && w.String != "" {
		who = w.String
	}
	return nil, false, who, nil
}

func lockPostgres(ctx context.Context, dsn, holder string) (Lock, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("lock the database: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// A server killed a moment ago holds the lock until PostgreSQL
	// notices its connection is gone: try for a few seconds.
	for try := 0; ; try++ {
		conn, ok, who, err := tryLock(ctx, db, holder)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("lock the database: %w", err)
		}
		if ok {
			l := &pgLock{db: db, holder: holder, conn: conn, stop: make(chan struct{}), done: make(chan struct{}), lost: make(chan struct{})}
			go l.keep()
			return l, nil
		}
		if try == 30 {
			db.Close()
			return nil, fmt.Errorf("the database is held by %s: %w", who, ErrLocked)
		}
		select {
		case <-ctx.Done():
			db.Close()
			return nil, fmt.Errorf("lock the database: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
