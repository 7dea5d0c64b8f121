package executor

import (
	"context"
	"errors"
	"io"

	"github.com/sluicehq/sluice/launch"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/usage"
)

// Job is one attempt of one step: a command line to run with its
// environment, working directory and log.
type Job struct {
	// RunID and TaskID identify the job (labels, process names).
	RunID  string
	TaskID string
	// Image is the container image the step asks for. Executors that do not
	// run containers record it and ignore it.
	Image string
	// Argv is the fully expanded command line (command + args).
	Argv []string
	// Env holds extra environment variables, "NAME=value".
	Env []string
	// Dir is the working directory; it exists before Run is called.
	Dir string
	// Writable are the directories the step writes into besides Dir (the
	// parents of its outputs); they exist before Run is called. An
	// executor that runs steps as another user gives them to that user.
	Writable []string
	// Log receives the process's stdout and stderr, interleaved.
	Log io.Writer
	// Attempt counts the task's attempts from 1 (retries run again).
	Attempt int
	// Launch is the launch description for executors that are a
	// RemoteLauncher; nil otherwise (the executor runs Argv as it is).
	Launch *launch.Spec
	// Resources are the step's requests and limits (Kubernetes
	// quantities), for executors that can honour them.
	Resources Resources
	// Platform holds the step's settings for the executor's platform
	// (for Kubernetes, KFP's KubernetesExecutorConfig as decoded JSON);
	// its parameter specs are resolved with Params.
	Platform map[string]any
	Params   ParamResolver
}

// ParamResolver gives the value of a task input parameter spec (KFP's
// TaskInputParameterSpec, as platform settings hold them), resolved in the
// task's parent DAG; a missing optional input resolves to nil. The
// engine's plan.Scope is one.
type ParamResolver interface {
	ResolveParam(p *spec.InputParameter) (any, error)
}

// ParamResolverFunc adapts a function to ParamResolver.
type ParamResolverFunc func(p *spec.InputParameter) (any, error)

// ResolveParam calls f.
func (f ParamResolverFunc) ResolveParam(p *spec.InputParameter) (any, error) { return f(p) }

// Result is how a job ended.
type Result struct {
	// ExitCode is the process's exit status; -1 when it was killed.
	ExitCode int
	// Usage is what the job used, when the executor measured it (nil
	// otherwise). Usage.OOMKilled with a non-zero exit means the job was
	// stopped for going over its memory limit.
	Usage *usage.Usage
}

// ErrCanceled is returned (wrapped) by Run when ctx ended before the job did.
var ErrCanceled = errors.New("canceled")

// Executor runs jobs. Run blocks until the job's process has ended, and when
// ctx is canceled it stops the process and everything it started before
// returning an error wrapping ErrCanceled. A non-zero exit is not an error:
// it is reported in Result.
type Executor interface {
	Run(ctx context.Context, job *Job) (*Result, error)
}

// RemoteLauncher is an optional ability of an executor whose jobs run on
// another machine with Sluice's launcher (sluice-launch) around the
// command: it stages artifacts there, so the launcher on the server hands
// it the launch description (Job.Launch) instead of staging itself.
type RemoteLauncher interface {
	Executor
	// LaunchesRemotely reports whether jobs run under a remote launcher.
	LaunchesRemotely() bool
}
