package rundir

import (
	"errors"
	"fmt"
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

	parent string // the pipeline root (local run) or the scratch directory (bucket run)
	base   string // what the run's tasks are confined to: Root, or Scratch
}

// Local is the directory of a run under a local pipeline root:
// <pipelineRoot>/<pipeline>/<runID>, both names mapped by Segment.
func Local(pipelineRoot, pipeline, runID string) Run {
	root := filepath.Join(pipelineRoot, Segment(pipeline), Segment(runID))
	return Run{Root: root, parent: filepath.Clean(pipelineRoot), base: root}
}

// Bucket is the directory of a run under a bucket pipeline root (its URI
// without a trailing "/"), with its local copies under
// <scratch>/<run id> (scratch "" is DefaultScratch()).
func Bucket(pipelineRoot, scratch, pipeline, runID string) Run {
	if scratch == "" {
		scratch = DefaultScratch()
	}
	r := Run{URI: pipelineRoot + "/" + Segment(pipeline) + "/" + Segment(runID),
		Scratch: filepath.Join(scratch, Segment(runID)), parent: filepath.Clean(scratch)}
	r.Root = Under(r.Scratch, spec.LocalPath(r.URI))
	r.base = r.Scratch
	return r
}

// Scratch is the scratch directory of a data directory: where a server's
// bucket runs keep their local copies.
func Scratch(dataDir string) string { return filepath.Join(dataDir, "scratch") }

// DefaultScratch is the scratch directory of bucket runs outside a server.
func DefaultScratch() string { return filepath.Join(os.TempDir(), "sluice-scratch") }

// Workspace is the run's workspace ({{$.workspace_path}}).
func (r Run) Workspace() string { return filepath.Join(r.Root, ".sluice", "workspace") }

// Create creates the run's directory and its workspace (and, for a bucket
// run, its scratch directory): the pipeline root or the scratch directory
// is created as it is, what lies under it without following links out.
func (r Run) Create() error {
	if r.parent == "" {
		return errors.New("rundir: a Run not made by Local or Bucket")
	}
	if err := os.MkdirAll(r.parent, 0o755); err != nil {
		return err
	}
	root, err := openRoot(r.parent)
	if err != nil {
		return err
	}
	defer root.Close()
	return root.MkdirAll(r.Workspace())
}

// RemoveScratch removes a bucket run's scratch directory (its local
// copies); a local run has none.
func (r Run) RemoveScratch() error {
	if r.Scratch == "" || r.parent == "" {
		return nil
	}
	if _, err := os.Stat(r.parent); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	root, err := openRoot(r.parent)
	if err != nil {
		return err
	}
	defer root.Close()
	return root.RemoveAll(r.Scratch)
}

// Open opens what the run's files are confined to (its directory, or a
// bucket run's scratch), which Create made.
func (r Run) Open() (*Root, error) {
	if r.base == "" {
		return nil, errors.New("rundir: a Run not made by Local or Bucket")
	}
	return openRoot(r.base)
}

// OpenParent opens the directory the run lies in: its pipeline root (a
// local run) or the scratch directory (a bucket run), which hold the
// outputs of the run's steps and of other runs' steps it may consume.
func (r Run) OpenParent() (*Root, error) {
	if r.parent == "" {
		return nil, errors.New("rundir: a Run not made by Local or Bucket")
	}
	return openRoot(r.parent)
}

// Task is where a task's things are on this machine. id is the task's
// path in the run ("for-loop-2/0/train"); each of its segments is mapped
// by Segment.
func (r Run) Task(id string) Task {
	seg := filepath.Join(segments(id)...)
	return Task{Dir: filepath.Join(r.Root, seg), Meta: filepath.Join(r.Root, ".sluice", "tasks", seg), base: r.base}
}

// TaskURI is where a task's things are in the run's bucket (the zero Task
// for a local run).
func (r Run) TaskURI(id string) Task {
	if r.URI == "" {
		return Task{}
	}
	seg := strings.Join(segments(id), "/")
	return Task{Dir: r.URI + "/" + seg, Meta: r.URI + "/.sluice/tasks/" + seg, uri: true}
}

// Task is where one task's things are: Dir holds its output artifacts and
// the ExecutorOutput file (it is what dsl.get_uri builds on), Meta is
// private to Sluice (log, output parameter files, working directory,
// outputs record). Both are local paths, or, for a Task made by TaskURI,
// URIs.
type Task struct {
	Dir, Meta string
	uri       bool
	base      string // what Open confines to
}

// IsZero reports whether t is the zero Task (no bucket).
func (t Task) IsZero() bool { return t.Dir == "" && t.Meta == "" }

func (t Task) join(dir, name string) string {
	if t.uri {
		return strings.TrimSuffix(dir, "/") + "/" + name
	}
	return filepath.Join(dir, name)
}

// Mounted is a bucket Task at the KFP mount paths of its URIs
// (/s3/bucket/key), where a step on another machine finds them. What it
// opens is that machine's whole file system: a pod is the step's own.
func (t Task) Mounted() Task {
	if !t.uri {
		return t
	}
	m := Task{base: "/"}
	if t.Dir != "" {
		m.Dir = Under("/", spec.LocalPath(t.Dir))
	}
	if t.Meta != "" {
		m.Meta = Under("/", spec.LocalPath(t.Meta))
	}
	return m
}

// AtMetaURI is the bucket Task of a step known only by the URI of its
// private directory (what a remote launcher is told).
func AtMetaURI(metaURI string) Task { return Task{Meta: metaURI, uri: true} }

// Open opens what the task's files are confined to: its run's directory
// (or a bucket run's scratch, where its inputs are downloaded too).
func (t Task) Open() (*Root, error) {
	if t.base == "" || t.uri {
		return nil, fmt.Errorf("rundir: task %s has no local directory", t.Meta)
	}
	return openRoot(t.base)
}

// Artifact is the location of an output artifact.
func (t Task) Artifact(name string) string { return t.join(t.Dir, Segment(name)) }

// ExecutorOutput is the ExecutorOutput file the step may write.
func (t Task) ExecutorOutput() string { return t.join(t.Dir, "executor_output.json") }

// Log holds the step's stdout and stderr, all attempts.
func (t Task) Log() string { return t.join(t.Meta, "log.txt") }

// OutputParams is the directory of the output parameter files.
func (t Task) OutputParams() string { return t.join(t.Meta, "outputs") }

// OutputParam is the file an output parameter is written to.
func (t Task) OutputParam(name string) string { return t.join(t.OutputParams(), Segment(name)) }

// RawInput is where an input artifact given as text (KFP v1's raw
// arguments) is written for the step.
func (t Task) RawInput(name string) string { return t.join(t.join(t.Meta, "inputs"), Segment(name)) }

// Work is the step's working directory.
func (t Task) Work() string { return t.join(t.Meta, "work") }

// OutputsRecord is where a remote launcher leaves the step's outputs.
func (t Task) OutputsRecord() string { return t.join(t.Meta, "outputs.json") }
