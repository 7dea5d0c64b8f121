package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// Instance is a PostgreSQL server of one test's own, which it may stop and
// start again (fault tests: the database down in the middle of a run).
type Instance struct {
	// DSN is its maintenance database's DSN.
	DSN      string
	bin, dir string
	opts     string
	uid, gid int
	logPath  string
	dataDir  string
	tb       testing.TB
	running  bool
}

// Own starts a PostgreSQL server for the test alone; it is stopped and
// removed when the test ends. It skips like DSN when PostgreSQL is not
// available.
func Own(tb testing.TB) *Instance {
	tb.Helper()
	bin, err := postgresBinDir()
	if err != nil {
		if os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" {
			tb.Fatalf("PostgreSQL required (SLUICE_REQUIRE_TOOLS=1): %v", err)
		}
		tb.Skipf("skipping PostgreSQL: %v", err)
	}
	dir, err := os.MkdirTemp("", "sluice-pgown-")
	if err != nil {
		tb.Fatal(err)
	}
	in := &Instance{bin: bin, dir: dir, uid: -1, gid: -1, tb: tb, logPath: filepath.Join(dir, "postgres.log"), dataDir: filepath.Join(dir, "data")}
	tb.Cleanup(func() {
		if in.running {
			_ = in.run("pg_ctl", "-D", in.dataDir, "-m", "immediate", "-w", "stop")
		}
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			tb.Fatalf("running as root and no user nobody to run PostgreSQL as: %v", err)
		}
		in.uid, _ = strconv.Atoi(u.Uid)
		in.gid, _ = strconv.Atoi(u.Gid)
		if err := os.Chown(dir, in.uid, in.gid); err != nil {
			tb.Fatal(err)
		}
	}
	if err := in.run("initdb", "-D", in.dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		tb.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	in.opts = fmt.Sprintf("-k %s -p %d -h 127.0.0.1 -c fsync=off -c max_connections=100", dir, port)
	in.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	in.Start()
	return in
}

func (in *Instance) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(in.bin, name), args...)
	cmd.Dir = in.dir
	out, err := os.OpenFile(filepath.Join(in.dir, name+".out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666)
	if err != nil {
		return err
	}
	defer out.Close()
	if in.uid >= 0 {
		out.Chown(in.uid, in.gid)
		runAs(cmd, in.uid, in.gid)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		b, _ := os.ReadFile(filepath.Join(in.dir, name+".out"))
		return fmt.Errorf("%s: %v\n%s", name, err, b)
	}
	return nil
}

// Start starts the server (again), on the same port and data.
func (in *Instance) Start() {
	in.tb.Helper()
	if err := in.run("pg_ctl", "-D", in.dataDir, "-l", in.logPath, "-w", "-t", "60", "-o", in.opts, "start"); err != nil {
		in.tb.Fatal(err)
	}
	in.running = true
}

// Stop stops the server at once (its clients' connections break).
func (in *Instance) Stop() {
	in.tb.Helper()
	if err := in.run("pg_ctl", "-D", in.dataDir, "-m", "immediate", "-w", "stop"); err != nil {
		in.tb.Fatal(err)
	}
	in.running = false
}
