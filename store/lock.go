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
// in-memory SQLite database needs no lock.
func LockServer(ctx context.Context, dsn, holder string) (io.Closer, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return lockPostgres(ctx, dsn, holder)
	}
	path, err := sqlitePath(dsn)
	if err != nil {
		return nil, err
	}
	if path == ":memory:" {
		return io.NopCloser(nil), nil
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

// LockFile takes an exclusive flock(2) lock on path (created when
// missing) and writes holder into it; the lock lasts until the Closer is
// closed or the process ends, however it ends (kill -9 included). A file
// another process holds is an ErrLocked naming the holder it recorded.
func LockFile(path, holder string) (io.Closer, error) {
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

// pgLock is a held advisory lock: the session it lives in.
type pgLock struct {
	db   *sql.DB
	conn *sql.Conn
}

func (l *pgLock) Close() error {
	return errors.Join(l.conn.Close(), l.db.Close())
}

func lockPostgres(ctx context.Context, dsn, holder string) (io.Closer, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("lock the database: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("lock the database: %w", err)
	}
	fail := func(err error) (io.Closer, error) {
		conn.Close()
		db.Close()
		return nil, err
	}
	// The holder is the session's application_name, which another
	// server reads to say who holds the lock.
	name := holder
	if len(name) > 63 {
		name = name[:63]
	}
	if _, err := conn.ExecContext(ctx, `SELECT set_config('application_name', $1, false)`, name); err != nil {
		return fail(fmt.Errorf("lock the database: %w", err))
	}
	// A server killed a moment ago holds the lock until PostgreSQL
	// notices its connection is gone: try for a few seconds.
	var ok bool
	for try := 0; ; try++ {
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, int64(serverLockKey)).Scan(&ok); err != nil {
			return fail(fmt.Errorf("lock the database: %w", err))
		}
		if ok || try == 30 {
			break
		}
		select {
		case <-ctx.Done():
			return fail(fmt.Errorf("lock the database: %w", ctx.Err()))
		case <-time.After(100 * time.Millisecond):
		}
	}
	if !ok {
		var who sql.NullString
		_ = conn.QueryRowContext(ctx, `SELECT a.application_name || ' (PostgreSQL backend ' || a.pid || ', from ' ||
			COALESCE(host(a.client_addr), 'a local socket') || ')'
			FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND (l.classid::bigint << 32 | l.objid::bigint) = $1 LIMIT 1`, int64(serverLockKey)).Scan(&who)
		desc := "another server"
		if who.Valid && who.String != "" {
			desc = who.String
		}
		return fail(fmt.Errorf("the database is held by %s: %w", desc, ErrLocked))
	}
	return &pgLock{db: db, conn: conn}, nil
}
