package cli_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/cli"
	"github.com/sluicehq/sluice/internal/syncbuf"
)

// TestTuneInterrupt interrupts `sluice tune` while its trial's step runs:
// the experiment is canceled (its trial killed, its run's processes gone,
// the next step never started) and sluice exits with status 130.
func TestTuneInterrupt(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "napper.yaml")
	if err := os.WriteFile(file, []byte(napper), 0o644); err != nil {
		t.Fatal(err)
	}
	pidfile := filepath.Join(dir, "sleep.pid")
	marker := filepath.Join(dir, "after-ran")
	var stdout, stderr syncbuf.Buffer
	cmd := &exec.Cmd{
		Path: exe,
		Args: []string{"sluice", "tune", file, "--param", "marker=categorical:" + marker, "--arg", "pidfile=" + pidfile,
			"--objective", "loss", "--minimize", "--max-trials", "3", "--parallel", "1"},
		Dir: dir, Stdout: &stdout, Stderr: &stderr,
		Env: append(os.Environ(), "SLUICE_HOME="+filepath.Join(dir, "sluice-home"), "HOME="+dir),
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	done := false
	defer func() {
		if !done {
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	var pid int
	if !waitFor(30*time.Second, func() bool {
		b, err := os.ReadFile(pidfile)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	}) {
		t.Fatalf("the trial's step did not write its pid file\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-exited:
		done = true
	case <-time.After(30 * time.Second):
		t.Fatalf("sluice tune still running 30s after SIGINT\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	out := stdout.String()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != cli.ExitCanceled {
		t.Errorf("exit: %v, want status %d\nstdout:\n%s\nstderr:\n%s", err, cli.ExitCanceled, out, stderr.String())
	}
	if !strings.Contains(out, "Killed") || !strings.Contains(out, "Experiment napper Failed (ExperimentCanceled)") {
		t.Errorf("stdout:\n%s", out)
	}
	if !waitFor(10*time.Second, func() bool { return !alive(pid) }) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("sleep %d still alive 10s after sluice tune exited", pid)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("the step after the canceled one ran")
	}
}
