// Package pgtest gives tests a real PostgreSQL: the server at
// SLUICE_TEST_POSTGRES_DSN, or one started from the machine's binaries in a
// temporary directory, once per test binary, on first use. Each caller gets
// a fresh database.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver
)

// The PostgreSQL the tests use: the server at SLUICE_TEST_POSTGRES_DSN, or
// one started from the machine's binaries in a temporary directory, once
// per test binary, on first use. Each test gets a database of its own.
var pg struct {
	once    sync.Once
	admin   *sql.DB // connected to the maintenance database
	baseURL *url.URL
	skip    string // why PostgreSQL tests cannot run
	stop    func()
	dbs     atomic.Int64
}

// Stop stops the server the tests started, if any (from TestMain).
func Stop() {
	if pg.admin != nil {
		pg.admin.Close()
	}
	if pg.stop != nil {
		pg.stop()
	}
}

// DSN creates a fresh database and returns its DSN; it skips the
// test when PostgreSQL is not available (fails with SLUICE_REQUIRE_TOOLS=1).
func DSN(tb testing.TB) string {
	tb.Helper()
	pg.once.Do(startPostgres)
	if pg.skip != "" {
		if os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" {
			tb.Fatalf("PostgreSQL required (SLUICE_REQUIRE_TOOLS=1): %s", pg.skip)
		}
		tb.Skipf("skipping PostgreSQL: %s", pg.skip)
	}
	name := fmt.Sprintf("sluice_test_%d_%d_%s", os.Getpid(), pg.dbs.Add(1), randHex())
	ctx := context.Background()
	if _, err := pg.admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		tb.Fatalf("create database: %v", err)
	}
	tb.Cleanup(func() {
		// WITH (FORCE) ends connections a failed test left open.
		if _, err := pg.admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			tb.Logf("drop database %s: %v", name, err)
		}
	})
	u := *pg.baseURL
	u.Path = "/" + name
	return u.String()
}

func startPostgres() {
	if dsn := os.Getenv("SLUICE_TEST_POSTGRES_DSN"); dsn != "" {
		if err := connectAdmin(dsn); err != nil {
			pg.skip = fmt.Sprintf("SLUICE_TEST_POSTGRES_DSN: %v", err)
		}
		return
	}
	bin, err := postgresBinDir()
	if err != nil {
		pg.skip = err.Error()
		return
	}
	stop, dsn, err := runPostgres(bin)
	if err != nil {
		pg.skip = fmt.Sprintf("start PostgreSQL from %s: %v", bin, err)
		return
	}
	pg.stop = stop
	if err := connectAdmin(dsn); err != nil {
		pg.skip = err.Error()
	}
}

func connectAdmin(dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("want a postgres:// URL, got %q", dsn)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("connect %s: %v", u.Redacted(), err)
	}
	pg.admin, pg.baseURL = db, u
	return nil
}

// postgresBinDir finds initdb and pg_ctl: on PATH, else the newest
// /usr/lib/postgresql/<version>/bin (Debian and Ubuntu).
func postgresBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin: " +
		"install PostgreSQL or set SLUICE_TEST_POSTGRES_DSN")
}

// runPostgres initializes a cluster in a temporary directory and starts
// it on a free loopback port, tuned for tests (no fsync). PostgreSQL
// refuses to run as root, so as root the directory goes to user nobody
// and the commands run as nobody.
func runPostgres(bin string) (stop func(), dsn string, err error) {
	dir, err := os.MkdirTemp("", "sluice-pgtest-")
	if err != nil {
		return nil, "", err
	}
	cleanup := func() { os.RemoveAll(dir) }
	uid, gid := -1, -1
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			cleanup()
			return nil, "", fmt.Errorf("running as root and no user nobody to run PostgreSQL as: %v", err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			cleanup()
			return nil, "", err
		}
	}
	logPath := filepath.Join(dir, "postgres.log")
	run := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		out, err := os.OpenFile(filepath.Join(dir, name+".out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666)
		if err != nil {
			return err
		}
		defer out.Close()
		if uid >= 0 {
			out.Chown(uid, gid)
			runAs(cmd, uid, gid)
		}
		// A file, not a pipe: the server pg_ctl leaves running would
		// hold a pipe open and Wait would never return.
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			b, _ := os.ReadFile(filepath.Join(dir, name+".out"))
			l, _ := os.ReadFile(logPath)
			return fmt.Errorf("%s: %v\n%s\n%s", name, err, b, l)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		cleanup()
		return nil, "", err
	}
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			cleanup()
			return nil, "", err
		}
		opts := fmt.Sprintf("-k %s -p %d -h 127.0.0.1 -c fsync=off -c synchronous_commit=off "+
			"-c full_page_writes=off -c max_connections=300", dir, port)
		err = run("pg_ctl", "-D", data, "-l", logPath, "-w", "-t", "60", "-o", opts, "start")
		if err == nil {
			stop := func() {
				run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
				cleanup()
			}
			return stop, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), nil
		}
		if attempt == 2 {
			cleanup()
			return nil, "", err
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randHex() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
