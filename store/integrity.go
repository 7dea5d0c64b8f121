package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
)

// ErrUnusable is a database Sluice must not use as it is: damaged,
// read-only, or another application's.
var ErrUnusable = errors.New("database not usable")

// applicationID marks a SQLite file as Sluice's (PRAGMA application_id):
// "SLCE" in ASCII.
const applicationID = 0x534c4345

// sqliteHeader starts every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// checkSQLiteFile refuses, before SQLite opens it, a file that is not a
// SQLite database or that is read-only (mode without owner write
// permission, which even root is held to: a server that starts on it
// would then fail every write). A missing or empty file is a new
// database.
func checkSQLiteFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open sqlite %q: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open sqlite %q: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("sqlite %q is not a regular file: %w", path, ErrUnusable)
	}
	if info.Size() == 0 {
		return nil
	}
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, sqliteHeader) {
		// (A damaged first page says so too: it is not usable either.)
		return fmt.Errorf("sqlite %q is not a SQLite database (left as it is): %w", path, ErrUnusable)
	}
	if info.Mode().Perm()&0o200 == 0 {
		return fmt.Errorf("sqlite %q is read-only (mode %04o): a server could not record anything: %w", path, info.Mode().Perm(), ErrUnusable)
	}
	return nil
}

// inspectSQLite checks an existing SQLite file on a read-only connection
// of its own, before Sluice's connections (which switch the file to WAL
// mode) touch it: its pages are sound (PRAGMA quick_check), and it is
// Sluice's (its application_id, or, for a file made before the id was
// set, Sluice's migrations table) or holds no tables. A missing or empty
// file is a new database.
func inspectSQLite(ctx context.Context, path string) error {
	if info, err := os.Stat(path); err != nil || info.Size() == 0 {
		return nil
	}
	unusable := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("sqlite %q: %s: %v: %w", path, what, err, ErrUnusable)
		}
		return fmt.Errorf("sqlite %q: %s: %w", path, what, ErrUnusable)
	}
	// A busy timeout as Sluice's own connections have: another process
	// opening the same file at once (its WAL recovery, its checkpoint on
	// close) holds a lock for a moment; that is not damage.
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return unusable("cannot be opened", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var id int64
	if err := db.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&id); err != nil {
		return unusable("damaged or unreadable; restore it from a backup", err)
	}
	rows, err := db.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return unusable("damaged; restore it from a backup", err)
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return unusable("damaged; restore it from a backup", err)
		}
		if line != "ok" && len(problems) < 3 {
			problems = append(problems, line)
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return unusable("damaged; restore it from a backup", err)
	}
	if len(problems) > 0 {
		return unusable("damaged (PRAGMA quick_check: "+strings.Join(problems, "; ")+"); restore it from a backup", nil)
	}
	if id == applicationID {
		return nil
	}
	if id != 0 {
		return unusable(fmt.Sprintf("belongs to another application (application_id %#x); left as it is", id), nil)
	}
	var tables, ours int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE name = 'schema_migrations')
		FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).Scan(&tables, &ours); err != nil {
		return unusable("cannot be read", err)
	}
	if tables > 0 && ours == 0 {
		return unusable(fmt.Sprintf("is not a Sluice database (%d tables of another application); left as it is", tables), nil)
	}
	return nil
}

// markSQLite checks that the database can be written (the write lock is
// taken) and marks it as Sluice's (PRAGMA application_id; a no-op write
// on a Sluice database), as one transaction.
func (s *sqlStore) markSQLite(ctx context.Context, path string) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite %q: cannot be opened: %v: %w", path, err, ErrUnusable)
	}
	defer conn.Close()
	write := func() error {
		if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA application_id = %d`, applicationID)); err != nil {
			_, _ = conn.ExecContext(ctx, `ROLLBACK`)
			return err
		}
		if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
			_, _ = conn.ExecContext(ctx, `ROLLBACK`)
			return err
		}
		return nil
	}
	if err := write(); err != nil {
		return fmt.Errorf("sqlite %q: cannot be written: %v: %w", path, err, ErrUnusable)
	}
	return nil
}
