package local

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/executor/executortest"
)

func TestRunExitCodeAndLog(t *testing.T) {
	var log bytes.Buffer
	e := &Executor{}
	res, err := e.Run(context.Background(), &executor.Job{RunID: "r", TaskID: "t", Dir: t.TempDir(), Log: &log,
		Argv: []string{"sh", "-c", `echo "out $SLUICE_RUN_ID/$SLUICE_TASK_ID $X"; echo err >&2; exit 7`}, Env: []string{"X=y"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 7 {
		t.Fatalf("exit code %d", res.ExitCode)
	}
	if got := log.String(); !strings.Contains(got, "out r/t y") || !strings.Contains(got, "err") {
		t.Fatalf("log %q", got)
	}
	if res.Usage == nil || res.Usage.WallSeconds <= 0 || res.Usage.Method == "" {
		t.Fatalf("usage %+v", res.Usage)
	}
	if _, err := e.Run(context.Background(), &executor.Job{Dir: t.TempDir(), Log: &log, Argv: []string{"/no/such/program"}}); err == nil {
		t.Fatal("missing program: no error")
	}
}

// TestCancelKillsProcessGroup cancels a step whose shell started a
// background child and checks both are gone.
func TestCancelKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for i := 0; i < 200; i++ {
			if _, err := os.Stat(pidFile); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	e := &Executor{KillGrace: 100 * time.Millisecond}
	_, err := e.Run(ctx, &executor.Job{Dir: dir, Log: &bytes.Buffer{},
		Argv: []string{"sh", "-c", `trap "" TERM; sleep 60 & echo $! > "$0"; wait`, pidFile}})
	if !errors.Is(err, executor.ErrCanceled) {
		t.Fatalf("err = %v, want ErrCanceled", err)
	}
	pid := readPid(t, pidFile)
	if !dies(pid) {
		t.Fatalf("background child %d still running after cancel", pid)
	}
}

func readPid(t *testing.T, file string) int {
	t.Helper()
	b, _ := os.ReadFile(file)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid == 0 {
		t.Fatal("no pid written")
	}
	return pid
}

func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	return err == nil && !strings.Contains(string(b), ") Z ")
}

// dies waits up to two seconds for pid to end.
func dies(pid int) bool {
	for i := 0; i < 100; i++ {
		if !alive(pid) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// A process a step of a previous server left running (its parent is gone)
// is found by its run and killed.
func TestKillOrphans(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	cmd.Env = append(os.Environ(), "SLUICE_RUN_ID=run-orphan-test", "SLUICE_TASK_ID=t")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	go cmd.Wait()
	if n := KillOrphans([]string{"other-run"}); n != 0 {
		t.Fatalf("killed %d processes of another run", n)
	}
	if n := KillOrphans([]string{"run-orphan-test"}); n < 1 {
		t.Fatalf("killed %d", n)
	}
	if !dies(cmd.Process.Pid) {
		t.Fatalf("orphan %d still alive", cmd.Process.Pid)
	}
}

func TestConformance(t *testing.T) {
	executortest.Run(t, executortest.Config{
		New: func(t *testing.T) executor.Executor { return &Executor{KillGrace: 200 * time.Millisecond} },
	})
}

func TestConformanceProcessMode(t *testing.T) {
	executortest.Run(t, executortest.Config{
		New: func(t *testing.T) executor.Executor {
			return &Executor{KillGrace: 200 * time.Millisecond, Mode: Process}
		},
	})
}
