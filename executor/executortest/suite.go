// Package executortest is the conformance suite every executor.Executor
// passes: the local executor in its own tests, the Kubernetes executor
// against a real cluster. The jobs use only a POSIX shell and coreutils
// that a busybox image has too.
package executortest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/executor"
)

// Config describes the executor under test.
type Config struct {
	// New returns the executor; it is called once per subtest.
	New func(t *testing.T) executor.Executor
	// Image is the image jobs ask for (ignored by executors without
	// containers). It must have sh, echo, sleep, cat and touch.
	Image string
	// Dir returns a working directory for a job (local executors need a
	// real one; others may return "").
	Dir func(t *testing.T) string
	// Timeout bounds each job (default 60 s; pods take seconds to start).
	Timeout time.Duration
}

// LogBuf is a job Log writer safe for the executor's goroutines.
type LogBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Run runs the suite.
func Run(t *testing.T, cfg Config) {
	if cfg.Timeout == 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.Dir == nil {
		cfg.Dir = func(t *testing.T) string { return t.TempDir() }
	}
	n := 0
	job := func(t *testing.T, script string, env ...string) (*executor.Job, *LogBuf) {
		n++
		log := &LogBuf{}
		return &executor.Job{
			RunID: "conformance", TaskID: strings.ReplaceAll(t.Name(), "/", "-"),
			Image: cfg.Image, Argv: []string{"sh", "-c", script, "sh"},
			Env: env, Dir: cfg.Dir(t), Log: log,
		}, log
	}
	run := func(t *testing.T, e executor.Executor, j *executor.Job) *executor.Result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
		defer cancel()
		res, err := e.Run(ctx, j)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		return res
	}

	t.Run("ExitZeroAndLog", func(t *testing.T) {
		e := cfg.New(t)
		j, log := job(t, "echo out; echo err >&2; echo done")
		if res := run(t, e, j); res.ExitCode != 0 {
			t.Fatalf("exit %d, log %q", res.ExitCode, log)
		}
		for _, want := range []string{"out\n", "err\n", "done\n"} {
			if !strings.Contains(log.String(), want) {
				t.Errorf("log %q lacks %q (stdout and stderr both go to the log)", log, want)
			}
		}
	})
	t.Run("ExitCode", func(t *testing.T) {
		e := cfg.New(t)
		j, _ := job(t, "exit 3")
		if res := run(t, e, j); res.ExitCode != 3 {
			t.Fatalf("exit %d, want 3", res.ExitCode)
		}
	})
	t.Run("ArgvVerbatim", func(t *testing.T) {
		e := cfg.New(t)
		j, log := job(t, `for a in "$@"; do echo "[$a]"; done`)
		j.Argv = append(j.Argv, "two words", `"quoted"`, "$HOME", "")
		run(t, e, j)
		if got, want := log.String(), "[two words]\n[\"quoted\"]\n[$HOME]\n[]\n"; got != want {
			t.Fatalf("log %q, want %q (arguments reach the process unchanged)", got, want)
		}
	})
	t.Run("Env", func(t *testing.T) {
		e := cfg.New(t)
		j, log := job(t, `echo "$GREETING $EMPTY|"`, "GREETING=hello world", "EMPTY=")
		run(t, e, j)
		if got := log.String(); got != "hello world |\n" {
			t.Fatalf("log %q", got)
		}
	})
	t.Run("WritableWorkingDir", func(t *testing.T) {
		e := cfg.New(t)
		j, log := job(t, "touch made && cat made && echo ok")
		if res := run(t, e, j); res.ExitCode != 0 || log.String() != "ok\n" {
			t.Fatalf("exit %d, log %q", res.ExitCode, log)
		}
	})
	t.Run("CancelStopsTheJob", func(t *testing.T) {
		e := cfg.New(t)
		j, log := job(t, "echo started; sleep 300; echo not reached")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := e.Run(ctx, j)
			done <- err
		}()
		deadline := time.Now().Add(cfg.Timeout)
		for !strings.Contains(log.String(), "started") {
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("job did not start: log %q", log)
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, executor.ErrCanceled) {
				t.Fatalf("Run after cancel: %v, want ErrCanceled", err)
			}
		case <-time.After(cfg.Timeout):
			t.Fatal("Run did not return after cancel")
		}
		if strings.Contains(log.String(), "not reached") {
			t.Fatalf("the job went on: %q", log)
		}
	})
	t.Run("CanceledBeforeStart", func(t *testing.T) {
		e := cfg.New(t)
		j, log := job(t, "echo ran")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := e.Run(ctx, j); !errors.Is(err, executor.ErrCanceled) {
			t.Fatalf("Run with a canceled context: %v, want ErrCanceled", err)
		}
		if log.String() != "" {
			t.Fatalf("the job ran: %q", log)
		}
	})
	t.Run("EmptyCommand", func(t *testing.T) {
		e := cfg.New(t)
		j, _ := job(t, "")
		j.Argv = nil
		if _, err := e.Run(context.Background(), j); err == nil {
			t.Fatal("Run with no command line: no error")
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		e := cfg.New(t)
		var wg sync.WaitGroup
		logs := make([]*LogBuf, 4)
		for i := range logs {
			j, log := job(t, `echo "job $0"`)
			j.Argv[3] = string(rune('a' + i))
			j.TaskID += string(rune('a' + i))
			logs[i] = log
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
				defer cancel()
				if _, err := e.Run(ctx, j); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		for i, l := range logs {
			if want := "job " + string(rune('a'+i)) + "\n"; l.String() != want {
				t.Errorf("job %d log %q, want %q (logs must not mix)", i, l, want)
			}
		}
	})
}
