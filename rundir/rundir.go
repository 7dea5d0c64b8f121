package rundir

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/sluicehq/sluice/spec"
)

// Run is the directory of one run.
type Run struct {
	// Root is the run's local directory: under the pipeline root, or, for
	// a bucket run, the mount path of URI under Scratch.
	Root string
	// URI is the run's directory in its bucket; "" for a local run.
	URI string
	// Scratch is the local directory a bucket run's URIs are mapped
	// under (what steps get as launch.EnvURIPathPrefix); "" for a local
	// run.
	Scratch string
}

// Local is the directory of a run under a local pipeline root.
func Local(pipelineRoot, pipeline, runID string) Run {
	return Run{Root: filepath.Join(pipelineRoot, pipeline, runID)}
}

// Bucket is the directory of a run under a bucket pipeline root (its URI
// without a trailing "/"), with its local copies under
// <scratch>/<run id> (scratch "" is DefaultScratch()).
func Bucket(pipelineRoot, scratch, pipeline, runID string) Run {
	if scratch == "" {
		scratch = DefaultScratch()
	}
	r := Run{URI: pipelineRoot + "/" + pipeline + "/" + runID, Scratch: filepath.Join(scratch, runID)}
	r.Root = filepath.Join(r.Scratch, filepath.FromSlash(spec.LocalPath(r.URI)))
	return r
}

// Scratch is the scratch directory of a data directory: where a server's
// bucket runs keep their local copies.
func Scratch(dataDir string) string { return filepath.Join(dataDir, "scratch") }

// DefaultScratch is the scratch directory of bucket runs outside a server.
func DefaultScratch() string { return filepath.Join(os.TempDir(), "sluice-scratch") }

// Workspace is the run's workspace ({{$.workspace_path}}).
func (r Run) Workspace() string { return filepath.Join(r.Root, ".sluice", "workspace") }

// Task is where a task's things are on this machine.
func (r Run) Task(id string) Task {
	return Task{Dir: filepath.Join(r.Root, filepath.FromSlash(id)), Meta: filepath.Join(r.Root, ".sluice", "tasks", filepath.FromSlash(id))}
}

// TaskURI is where a task's things are in the run's bucket (the zero Task
// for a local run).
func (r Run) TaskURI(id string) Task {
	if r.URI == "" {
		return Task{}
	}
	return Task{Dir: r.URI + "/" + id, Meta: r.URI + "/.sluice/tasks/" + id, uri: true}
}

// Task is where one task's things are: Dir holds its output artifacts and
// the ExecutorOutput file (it is what dsl.get_uri builds on), Meta is
// private to Sluice (log, output parameter files, working directory,
// outputs record). Both are local paths, or, for a Task made by TaskURI,
// URIs.
type Task struct {
	Dir, Meta string
	uri       bool
}

// IsZero reports whether t is the zero Task (no bucket).
func (t Task) IsZero() bool { return t.Dir == "" && t.Meta == "" }

func (t Task) join(dir, name string) string {
	if t.uri {
		return strings.TrimSuffix(dir, "/") + "/" + name
	}
	return filepath.Join(dir, filepath.FromSlash(name))
}

// Mounted is a bucket Task at the KFP mount paths of its URIs
// (/s3/bucket/key), where a step on another machine finds them.
func (t Task) Mounted() Task {
	if !t.uri {
		return t
	}
	return Task{Dir: spec.LocalPath(t.Dir), Meta: spec.LocalPath(t.Meta)}
}

// AtMetaURI is the bucket Task of a step known only by the URI of its
// private directory (what a remote launcher is told).
func AtMetaURI(metaURI string) Task { return Task{Meta: metaURI, uri: true} }

// Artifact is the location of an output artifact.
func (t Task) Artifact(name string) string { return t.join(t.Dir, name) }

// ExecutorOutput is the ExecutorOutput file the step may write.
func (t Task) ExecutorOutput() string { return t.join(t.Dir, "executor_output.json") }

// Log holds the step's stdout and stderr, all attempts.
func (t Task) Log() string { return t.join(t.Meta, "log.txt") }

// OutputParams is the directory of the output parameter files.
func (t Task) OutputParams() string { return t.join(t.Meta, "outputs") }

// OutputParam is the file an output parameter is written to.
func (t Task) OutputParam(name string) string { return t.join(t.OutputParams(), name) }

// RawInput is where an input artifact given as text (KFP v1's raw
// arguments) is written for the step; file is a safe file name.
func (t Task) RawInput(file string) string { return t.join(t.Meta, "inputs/"+file) }

// Work is the step's working directory.
func (t Task) Work() string { return t.join(t.Meta, "work") }

// OutputsRecord is where a remote launcher leaves the step's outputs.
func (t Task) OutputsRecord() string { return t.join(t.Meta, "outputs.json") }
