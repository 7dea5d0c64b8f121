package launcher

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/pyruntime"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/spec"
)

// Launcher runs container and importer steps through an executor.
type Launcher struct {
	Executor executor.Executor
	// PythonPath is the directory holding Sluice's kfp runtime package; it is
	// put first on PYTHONPATH for every step.
	PythonPath string
	// Python is the interpreter used to check packages (default "python3").
	Python string
	// BinDir, when set, is put first on the steps' PATH (see
	// pyruntime.LinkInterpreter).
	BinDir string

	// pyDir, when set (by New), is where the machine's python3 is linked
	// (pyruntime.LinkInterpreter) the first time a step's command mentions
	// Python: once per process, and never for runs without Python steps.
	// Resolving a version manager's shim starts an interpreter (20–90 ms).
	pyDir  string
	pyOnce sync.Once
	pyBin  string
	pyErr  error

	mu      sync.Mutex
	checked map[string]error          // requirement set -> result
	stores  map[string]artifact.Store // bucket stores opened for foreign URIs
	locks   map[string]*sync.Mutex    // download locks by local path
}

// New assembles the step machinery: a launcher running steps with ex (the
// local executor when nil), with Sluice's Python runtime installed under
// dataDir/pyruntime, where the machine's python3 is linked when the first
// step that runs Python is prepared. It is how `sluice run`, `sluice
// server`, the benchmarks and dsltest get one.
func New(ctx context.Context, dataDir string, ex executor.Executor) (*Launcher, error) {
	if ex == nil {
		ex = &local.Executor{}
	}
	dir := filepath.Join(dataDir, "pyruntime")
	pp, err := pyruntime.Install(dir)
	if err != nil {
		return nil, fmt.Errorf("install the Python runtime: %w", err)
	}
	return &Launcher{Executor: ex, PythonPath: pp, pyDir: dir}, nil
}

// pythonBin is the directory to put first on the PATH of a step whose
// command is argv: BinDir when set; else, for a command that mentions
// Python, the directory where the machine's python3 is linked (resolved
// once per process); else "". A step that starts Python without naming it
// (a script's #! line) finds the same interpreter on the usual PATH.
func (l *Launcher) pythonBin(argv []string) (string, error) {
	if l.BinDir != "" || l.pyDir == "" || !mentionsPython(argv) {
		return l.BinDir, nil
	}
	l.pyOnce.Do(func() {
		l.pyBin, l.pyErr = pyruntime.LinkInterpreter(context.Background(), l.pyDir)
	})
	return l.pyBin, l.pyErr
}

func mentionsPython(argv []string) bool {
	for _, a := range argv {
		if strings.Contains(a, "python") {
			return true
		}
	}
	return false
}

// Step is one container or importer task to run, with its inputs
// resolved.
type Step struct {
	RunID string
	// TaskID is the task's path in the run ("for-loop-2/0/train").
	TaskID string
	Comp   *spec.ComponentSpec
	Exec   *spec.ExecutorSpec
	Inputs *plan.Inputs
	// Paths are the task's directories on this machine (for a run whose
	// artifacts live in a bucket, its local copies under Scratch).
	Paths rundir.Task
	// URIs, for a run whose artifacts live in a bucket, are the task's
	// directories there; the zero Task for a local run.
	URIs rundir.Task
	// System holds the system placeholder values.
	System map[string]string
	// Store holds the run's artifacts when they live in a bucket: remote
	// input artifacts are downloaded from it before the step and outputs
	// and the log uploaded to it.
	Store artifact.Store
	// Scratch is the local directory bucket URIs are mapped under
	// (Scratch + spec.LocalPath(uri)); steps get it as
	// launch.EnvURIPathPrefix. Empty for a local run.
	Scratch string
	// Attempt counts the attempts of the step from 1.
	Attempt int
	// Platform and Params are the step's platform settings and the
	// resolver of their parameters (see executor.Job).
	Platform map[string]any
	Params   executor.ParamResolver
}

// ExitError is a step that ran and exited non-zero.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("the step exited with code %d", e.Code) }

// Remote reports whether the executor runs steps on other machines, under
// a remote launcher (not as this machine's processes).
func (l *Launcher) Remote() bool {
	rl, ok := l.Executor.(executor.RemoteLauncher)
	return ok && rl.LaunchesRemotely()
}
