package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/launch"
)

// Executor runs jobs as local processes. The image is ignored: the command
// runs with the host's tools.
type Executor struct {
	// KillGrace is how long a canceled process group gets between SIGTERM and
	// SIGKILL. Zero means 2 seconds.
	KillGrace time.Duration
}

var _ executor.Executor = (*Executor)(nil)

// Run starts the job's process and waits for it.
func (e *Executor) Run(ctx context.Context, job *executor.Job) (*executor.Result, error) {
	if len(job.Argv) == 0 {
		return nil, errors.New("empty command line")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", executor.ErrCanceled, err)
	}
	cmd := exec.Command(job.Argv[0], job.Argv[1:]...)
	cmd.Dir = job.Dir
	cmd.Env = append(os.Environ(), job.Env...)
	cmd.Env = append(cmd.Env, launch.EnvRunID+"="+job.RunID, launch.EnvTaskID+"="+job.TaskID)
	cmd.Stdout = job.Log
	cmd.Stderr = job.Log
	cmd.Stdin = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", job.Argv[0], err)
	}
	done := make(chan struct{})
	canceled := make(chan struct{})
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		close(canceled)
		pgid := cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		grace := e.KillGrace
		if grace == 0 {
			grace = 2 * time.Second
		}
		select {
		case <-done:
		case <-time.After(grace):
		}
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}()
	err := cmd.Wait()
	close(done)
	// Whatever the main process left behind in its group goes with it.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-canceled:
		return nil, fmt.Errorf("%w: %v", executor.ErrCanceled, ctx.Err())
	default:
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return &executor.Result{ExitCode: ee.ExitCode()}, nil
		}
		return nil, err
	}
	return &executor.Result{ExitCode: 0}, nil
}
