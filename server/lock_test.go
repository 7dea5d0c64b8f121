package server_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/pgtest"
)

// secondServer starts `sluice server` expecting it to refuse: it exits 2
// with one clear line naming the server that holds the store.
func secondServer(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"server", "--addr", freeAddr(t), "--no-examples"}, args...)...)
	cmd.Env = append(os.Environ(), "SLUICE_TEST_MAIN=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the second server started beside the first; output:\n%s", out.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("second server: %v, want exit 2; output:\n%s", err, out.String())
	}
	return out.String()
}

// A second server on the data directory, the SQLite file or the
// PostgreSQL database of a running one refuses to start (exit 2) naming
// the first, and the first keeps working; once the first is gone, a new
// server starts.
func TestOneServerPerStore(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		addr, data := freeAddr(t), t.TempDir()
		first := startServer(t, addr, data)
		out := secondServer(t, "--data", data)
		if !strings.Contains(out, "held by sluice server pid") || !strings.Contains(out, addr) {
			t.Fatalf("refusal does not name the first server:\n%s", out)
		}
		// The same database file from another data directory.
		db := filepath.Join(t.TempDir(), "shared.db")
		addr2, data2 := freeAddr(t), t.TempDir()
		startServer(t, addr2, data2, "--db", db)
		out = secondServer(t, "--data", t.TempDir(), "--db", db)
		if !strings.Contains(out, "shared.db.lock is held by sluice server pid") || !strings.Contains(out, addr2) {
			t.Fatalf("refusal does not name the first server:\n%s", out)
		}
		c := &client{t: t, base: "http://" + addr}
		if code := c.do("GET", "/apis/v2beta1/healthz", nil, nil); code != 200 {
			t.Fatalf("the first server: %d", code)
		}
		_ = first.Process.Kill()
		_ = first.Wait()
		startServer(t, addr, data)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.DSN(t)
		addr := freeAddr(t)
		first := startServer(t, addr, t.TempDir(), "--db", dsn)
		out := secondServer(t, "--data", t.TempDir(), "--db", dsn)
		if !strings.Contains(out, "the database is held by sluice server pid") {
			t.Fatalf("refusal does not name the first server:\n%s", out)
		}
		_ = first.Process.Kill() // kill -9: PostgreSQL ends its session
		_ = first.Wait()
		startServer(t, freeAddr(t), t.TempDir(), "--db", dsn)
	})
}
