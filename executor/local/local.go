package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/archetype"
	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/executor/local/cgroup"
	"github.com/sluicehq/sluice/launch"
	"github.com/sluicehq/sluice/usage"
)

// Mode is how the executor contains and measures steps.
type Mode int

// Modes.
const (
	// Auto uses a cgroup per step (v2, else v1) when this process can make
	// them, else Process.
	Auto Mode = iota
	// Cgroup2 and Cgroup1 insist on that cgroup version.
	Cgroup2
	Cgroup1
	// Process follows the step's process tree through /proc, as its
	// subreaper: figures from wait4, memory limits kept by a watchdog, no
	// CPU limit.
	Process
	// Container measures the cgroup this process runs in (a step's
	// container, for the launcher in a pod) and makes none.
	Container
	// Plain only starts the step in its process group, as Sluice did
	// before it measured steps: wait4's figures of the main process, no
	// limits, nothing killed beyond the group (benchmark baseline).
	Plain
)

func (m Mode) String() string {
	return [...]string{"auto", "cgroup2", "cgroup1", "process", "container", "plain"}[m]
}

// Executor runs jobs as local processes. The image is ignored: the command
// runs with the host's tools.
type Executor struct {
	// KillGrace is how long a canceled step gets between SIGTERM and
	// SIGKILL. Zero means 2 seconds.
	KillGrace time.Duration
	// Mode is how steps are contained and measured (default Auto).
	Mode Mode
	// User, when set, is the account steps run as (this process must be
	// root).
	User *executor.User
	// BaseEnv is the environment every step starts from, before its own
	// (Job.Env). Nil means CleanEnv().
	BaseEnv []string
	// SampleEvery is the interval of the CPU and memory series (default
	// one second).
	SampleEvery time.Duration
	// CgroupRoot is where /proc/self and /sys/fs/cgroup are read from
	// (default "/"; tests use fake trees).
	CgroupRoot string
	archetype.Archetype

	once    sync.Once
	mode    Mode
	mgr     *cgroup.Manager
	self    *cgroup.Group
	modeErr error
	id      string
	seq     atomic.Int64
}

var _ executor.Executor = (*Executor)(nil)

// setup decides once how steps are contained.
func (e *Executor) setup() {
	var b [4]byte
	_, _ = rand.Read(b[:])
	e.id = hex.EncodeToString(b[:])
	e.mode = e.Mode
	root := e.CgroupRoot
	if root == "" {
		root = "/"
	}
	switch e.Mode {
	case Auto, Cgroup1, Cgroup2:
		want := map[Mode]cgroup.Version{Auto: cgroup.Auto, Cgroup1: cgroup.V1, Cgroup2: cgroup.V2}[e.Mode]
		h, err := cgroup.ReadHost(root)
		if err == nil {
			e.mgr, err = cgroup.New(h, want, os.Getpid())
		}
		switch {
		case err == nil:
			e.mode = map[cgroup.Version]Mode{cgroup.V1: Cgroup1, cgroup.V2: Cgroup2}[e.mgr.Version()]
			e.Log().Info("steps run in cgroups", "version", e.mgr.Version().String())
		case e.Mode != Auto:
			e.modeErr = fmt.Errorf("local executor: %w", err)
		default:
			e.mode = Process
			e.Log().Info("steps are followed through /proc: no cgroup can be made for them", "why", err.Error())
		}
	case Container:
		h, err := cgroup.ReadHost(root)
		if err == nil {
			e.self, err = cgroup.Self(h)
		}
		if err != nil {
			e.mode = Process
			e.Log().Info("the container's cgroup cannot be read: steps are followed through /proc", "why", err.Error())
		}
	}
	if e.mode == Process {
		if err := becomeSubreaper(); err != nil {
			e.Log().Warn("cannot become the subreaper of steps", "err", err)
		}
	}
}

// Contained says how steps are contained and measured: the Mode Auto
// resolved to, or an error when the Mode asked for cannot be had.
func (e *Executor) Contained() (Mode, error) {
	e.once.Do(e.setup)
	return e.mode, e.modeErr
}

// Run starts the job's process and waits for it; when it has ended, every
// process it left is killed.
func (e *Executor) Run(ctx context.Context, job *executor.Job) (*executor.Result, error) {
	if len(job.Argv) == 0 {
		return nil, errors.New("empty command line")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", executor.ErrCanceled, err)
	}
	mode, err := e.Contained()
	if err != nil {
		return nil, err
	}
	q, err := job.Resources.Quantities()
	if err != nil {
		return nil, err
	}
	if u := e.User; u != nil {
		// The step's own directories become its user's; nothing else does.
		for _, d := range append([]string{job.Dir}, job.Writable...) {
			if d == "" {
				continue
			}
			if err := os.Lchown(d, int(u.UID), int(u.GID)); err != nil {
				return nil, fmt.Errorf("give %s to the step user %s: %w", d, u.Name, err)
			}
		}
	}
	marker := launch.EnvStepID + "=" + e.id + "-" + fmt.Sprint(e.seq.Add(1))
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(job.Log, r)
	}()
	env := e.env(job, marker)
	build := func() *exec.Cmd {
		cmd := exec.Command(job.Argv[0], job.Argv[1:]...)
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = job.Dir, env, w, w
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if u := e.User; u != nil {
			cmd.SysProcAttr.Credential = &syscall.Credential{Uid: u.UID, Gid: u.GID, Groups: u.Groups}
		}
		return cmd
	}
	b, err := e.newBox(mode, q, marker)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	defer b.close()
	started := time.Now()
	cmd, err := b.start(build)
	w.Close() // the step holds its own copies
	if err != nil {
		r.Close()
		<-copied
		return nil, fmt.Errorf("start %s: %w", job.Argv[0], err)
	}
	pgid := cmd.Process.Pid

	// Sample the step (its series; in Process mode the memory watchdog).
	smp := &usage.Sampler{Interval: e.sampleEvery()}
	smp.Start(0)
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		e.watchBox(b, smp, stopSampling, e.sampleEvery())
	}()

	done := make(chan struct{})
	canceled := make(chan struct{})
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		close(canceled)
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
	werr := cmd.Wait()
	wall := time.Since(started)
	close(done)
	close(stopSampling)
	<-sampled
	// Whatever the step left behind goes with it.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	u := b.end(cmd.ProcessState, smp)
	u.WallSeconds = wall.Seconds()
	u.Round()
	// The log is complete once every writer of the pipe is gone; one that
	// escaped the kill does not hold the step.
	select {
	case <-copied:
	case <-time.After(2 * time.Second):
		r.Close()
		<-copied
	}
	r.Close()
	select {
	case <-canceled:
		return nil, fmt.Errorf("%w: %v", executor.ErrCanceled, ctx.Err())
	default:
	}
	res := &executor.Result{Usage: u}
	if werr != nil {
		var ee *exec.ExitError
		if !errors.As(werr, &ee) {
			return nil, werr
		}
		res.ExitCode = ee.ExitCode()
	}
	return res, nil
}

func (e *Executor) sampleEvery() time.Duration {
	if e.SampleEvery > 0 {
		return e.SampleEvery
	}
	return time.Second
}

// env is a job's environment: the base, HOME in its working directory,
// its own variables, and the markers of the run, task and attempt.
func (e *Executor) env(job *executor.Job, marker string) []string {
	base := e.BaseEnv
	if base == nil {
		base = CleanEnv()
	}
	env := make([]string, 0, len(base)+len(job.Env)+6)
	env = append(env, base...)
	if job.Dir != "" && e.Mode != Container {
		env = append(env, "HOME="+job.Dir)
	}
	if u := e.User; u != nil {
		env = append(env, "USER="+u.Name, "LOGNAME="+u.Name)
	}
	env = append(env, job.Env...)
	return append(env, launch.EnvRunID+"="+job.RunID, launch.EnvTaskID+"="+job.TaskID, marker)
}
