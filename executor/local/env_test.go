package local

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/executor"
)

// A step sees its own variables, PATH, the locale and HOME in its working
// directory — none of the server's secrets.
func TestStepEnvironmentIsClean(t *testing.T) {
	for k, v := range map[string]string{"SLUICE_TOKEN": "s3cret-token", "SLUICE_DB": "postgres://u:pw@h/db",
		"AWS_SECRET_ACCESS_KEY": "aws-secret", "GOOGLE_APPLICATION_CREDENTIALS": "/etc/key.json", "LANG": "C.UTF-8"} {
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	res, log := run(t, &Executor{}, &executor.Job{Dir: dir, RunID: "r1", TaskID: "t1", Env: []string{"MINE=yes"},
		Argv: []string{"sh", "-c", "env"}})
	if res.ExitCode != 0 {
		t.Fatalf("exit %d", res.ExitCode)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	for _, secret := range []string{"SLUICE_TOKEN", "SLUICE_DB", "AWS_SECRET_ACCESS_KEY", "GOOGLE_APPLICATION_CREDENTIALS"} {
		if _, ok := env[secret]; ok {
			t.Errorf("the step sees %s", secret)
		}
	}
	for k, want := range map[string]string{"MINE": "yes", "HOME": dir, "LANG": "C.UTF-8", "PATH": os.Getenv("PATH"), "SLUICE_RUN_ID": "r1", "SLUICE_TASK_ID": "t1"} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}
	// A step's own HOME wins; a pod's launcher passes its environment on.
	res, log = run(t, &Executor{BaseEnv: []string{"PATH=/usr/bin:/bin", "KEEP=1"}}, &executor.Job{Env: []string{"HOME=/elsewhere"},
		Argv: []string{"sh", "-c", `echo "$HOME $KEEP $SLUICE_TOKEN"`}})
	if strings.TrimSpace(log) != "/elsewhere 1" {
		t.Fatalf("log %q", log)
	}
	_ = res
}

// --step-user: the step runs as another account and cannot read the
// server's 0600 files (the database).
func TestStepUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	u, err := executor.LookupUser("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	base, err := os.MkdirTemp("", "sluice-stepuser-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	os.Chmod(base, 0o755)
	db := filepath.Join(base, "sluice.db")
	if err := os.WriteFile(db, []byte("secret rows"), 0o600); err != nil {
		t.Fatal(err)
	}
	eachMode(t, func(t *testing.T, e *Executor) {
		// The executor gives the step its directories (made by the server).
		work, out := filepath.Join(base, "work-"+e.Mode.String()), filepath.Join(base, "out-"+e.Mode.String())
		os.Mkdir(work, 0o755)
		os.Mkdir(out, 0o755)
		e.User = u
		res, log := run(t, e, &executor.Job{Dir: work, Writable: []string{out}, Argv: []string{"sh", "-c",
			`id -u; echo "$USER"; touch mine "$1/output" && echo wrote; cat "$0" && echo READ; kill -0 1 2>/dev/null && echo SIGNALLED`, db, out}})
		lines := strings.Split(log, "\n")
		if res.ExitCode == 0 || lines[0] != strconv.Itoa(int(u.UID)) || lines[1] != u.Name || lines[2] != "wrote" {
			t.Fatalf("exit %d, log %q", res.ExitCode, log)
		}
		if strings.Contains(log, "READ") || strings.Contains(log, "secret rows") {
			t.Fatalf("the step read the 0600 database file: %q", log)
		}
		if strings.Contains(log, "SIGNALLED") {
			t.Fatalf("the step could signal init: %q", log)
		}
	})
}
