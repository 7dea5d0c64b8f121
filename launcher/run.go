package launcher

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/internal/bytesize"
	"github.com/sluicehq/sluice/launch"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/pyruntime"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/usage"
)

// Run runs one attempt of a prepared step and returns its outputs and how
// its process ended (the executor's Result, nil when it did not run). A
// non-zero exit is an *ExitError. On this machine Run is the staging
// pipeline (runHere); with a remote launcher the executor runs that
// pipeline on the other machine and Run reads back its outputs record.
func (l *Launcher) Run(ctx context.Context, s *Step, p *Prepared, log io.Writer) (*plan.Outputs, *executor.Result, error) {
	if l.Remote() {
		return l.runRemote(ctx, s, p, log)
	}
	return l.runHere(ctx, s, p.Input, p.Reqs, s.Exec.Container.OutputFiles, &executor.Job{
		RunID: s.RunID, TaskID: s.TaskID, Image: p.Image, Argv: p.Argv, Env: p.Env, Dir: s.Paths.Work(), Log: log,
		Attempt: s.Attempt, Resources: p.Resources,
	})
}

// runHere is the one staging pipeline, the same on the server and in a
// pod: check the step's packages, give it clean output locations and its
// working directory, download its inputs, run it, read its outputs (and
// the output files it declared), copy custom-path outputs to their URIs
// and upload bucket outputs.
func (l *Launcher) runHere(ctx context.Context, s *Step, in *spec.ExecutorInput, reqs []pyruntime.Requirement, files []spec.OutputFile, job *executor.Job) (*plan.Outputs, *executor.Result, error) {
	if err := l.checkRequirements(ctx, reqs); err != nil {
		return nil, nil, err
	}
	dirs, err := s.prepareDirs(in, job.Argv, job.Env)
	if err != nil {
		return nil, nil, err
	}
	job.Writable = dirs
	if err := l.stageInputs(ctx, s, in); err != nil {
		return nil, nil, err
	}
	res, err := l.Executor.Run(ctx, job)
	if err != nil {
		return nil, nil, err
	}
	if res.ExitCode != 0 {
		return nil, res, &ExitError{Code: res.ExitCode}
	}
	root, err := s.Paths.Open()
	if err != nil {
		return nil, res, err
	}
	defer root.Close()
	out, err := ReadOutputs(s.Comp, in, root)
	if err != nil {
		return nil, res, err
	}
	if err := applyOutputFiles(files, in, out, s.localPath, stepFiles{root: root}); err != nil {
		return nil, res, err
	}
	if err := uploadCustomPaths(s, out, l.stepOwner()); err != nil {
		return nil, res, err
	}
	if err := l.uploadOutputs(ctx, s, out.Artifacts); err != nil {
		return nil, res, err
	}
	return out, res, nil
}

// stepOwner is the uid local steps run as when it is not the server's
// (--step-user), else nil.
func (l *Launcher) stepOwner() *uint32 {
	if le, ok := l.Executor.(*local.Executor); ok && le.User != nil {
		uid := le.User.UID
		return &uid
	}
	return nil
}

// prepareDirs gives an attempt clean output locations, so that nothing of
// an earlier attempt survives a retry, and creates the working directory
// and the parents of the output paths the step can write, which it
// returns. Every directory is one more file-system operation per step (a
// mkdir costs a few hundred microseconds on some ext4 volumes), so the
// task's directory (rundir.Task.Dir) is created only when the step has
// output artifacts in it or is told where its ExecutorOutput file goes
// (argv or env mentions it: {{$}}, {{$.outputs.output_file}},
// {{$.outputMetadataUri}}); a step with neither cannot know the file's
// path.
func (s *Step) prepareDirs(in *spec.ExecutorInput, argv, env []string) ([]string, error) {
	root, err := s.Paths.Open()
	if err != nil {
		return nil, err
	}
	defer root.Close()
	for _, d := range []string{s.Paths.Dir, s.Paths.OutputParams()} {
		if d == "" {
			continue
		}
		if err := root.RemoveAll(d); err != nil {
			return nil, err
		}
	}
	dirs := []string{s.Paths.Work()}
	if f := in.Outputs.OutputFile; f != "" && mentions(f, argv, env) {
		dirs = append(dirs, filepath.Dir(f))
	}
	for _, op := range in.Outputs.Parameters {
		dirs = append(dirs, filepath.Dir(op.OutputFile))
	}
	for _, list := range in.Outputs.Artifacts {
		for _, a := range list.Artifacts {
			dirs = append(dirs, filepath.Dir(s.localPath(a.URI)))
		}
	}
	made := make(map[string]bool, len(dirs))
	for _, d := range dirs {
		if made[d] {
			continue
		}
		made[d] = true
		if err := root.MkdirAll(d); err != nil {
			return nil, err
		}
	}
	return dirs, nil
}

// mentions reports whether path appears in argv or env, as it is or as a
// JSON string (inside the {{$}} ExecutorInput).
func mentions(path string, argv, env []string) bool {
	b, _ := json.Marshal(path)
	quoted := strings.Trim(string(b), `"`)
	for _, list := range [][]string{argv, env} {
		for _, a := range list {
			if strings.Contains(a, path) || strings.Contains(a, quoted) {
				return true
			}
		}
	}
	return false
}

func (l *Launcher) checkRequirements(ctx context.Context, reqs []pyruntime.Requirement) error {
	if len(reqs) == 0 {
		return nil
	}
	names := make([]string, len(reqs))
	for i, r := range reqs {
		names[i] = r.Name + r.Spec + ";" + r.Marker
	}
	key := strings.Join(names, "\x00")
	l.mu.Lock()
	err, ok := l.checked[key]
	l.mu.Unlock()
	if ok {
		return err
	}
	py := l.Python
	if py == "" {
		py = "python3"
	}
	err = pyruntime.CheckInstalled(ctx, py, reqs)
	if ctx.Err() != nil {
		return err
	}
	l.mu.Lock()
	if l.checked == nil {
		l.checked = map[string]error{}
	}
	l.checked[key] = err
	l.mu.Unlock()
	return err
}

// runRemote runs a prepared step with an executor that launches it on
// another machine, and reads back the outputs record the remote launcher
// wrote.
func (l *Launcher) runRemote(ctx context.Context, s *Step, p *Prepared, log io.Writer) (*plan.Outputs, *executor.Result, error) {
	ls, err := launchSpec(s, p)
	if err != nil {
		return nil, nil, err
	}
	res, err := l.Executor.Run(ctx, &executor.Job{
		RunID: s.RunID, TaskID: s.TaskID, Image: p.Image, Argv: p.Argv, Env: p.Env, Log: log, Launch: ls, Attempt: s.Attempt,
		Resources: p.Resources, Platform: s.Platform, Params: s.Params,
	})
	if err != nil {
		return nil, nil, err
	}
	if res.ExitCode != 0 {
		// A step that failed leaves what it used (when its launcher
		// could write it): best effort, the failure is the answer.
		if res.Usage == nil {
			res.Usage = l.readFailedUsage(ctx, s)
		}
		return nil, res, &ExitError{Code: res.ExitCode}
	}
	out, u, err := l.readRecord(ctx, s)
	if u != nil && res.Usage == nil {
		res.Usage = u
	}
	return out, res, err
}

// launchSpec describes a prepared step for a remote launcher.
func launchSpec(s *Step, p *Prepared) (*launch.Spec, error) {
	if s.URIs.IsZero() {
		return nil, errNeedsBucket
	}
	ls := &launch.Spec{Protocol: launch.Protocol, RunID: s.RunID, TaskID: s.TaskID, Input: p.Input, Outputs: s.Comp.OutputDefinitions,
		Workspace: s.System["workspace_path"], MetaURI: s.URIs.Meta}
	if s.Exec != nil && s.Exec.Container != nil {
		ls.OutputFiles = s.Exec.Container.OutputFiles
	}
	for _, r := range p.Reqs {
		ls.Requirements = append(ls.Requirements, r.Raw)
	}
	return ls, nil
}

// Launch is sluice-launch: it runs argv as the step ls describes, on this
// machine, with the staging pipeline (runHere), staging artifacts through
// the store, and leaves the outputs record in the store. The step's
// output goes to stdout (and to the log in the store as it runs). It
// returns the command's exit code; an error means the launcher itself
// failed.
func Launch(ctx context.Context, ls *launch.Spec, store artifact.Store, argv, env []string, stdout io.Writer) (int, error) {
	if err := ls.Check(); err != nil {
		return -1, err
	}
	uris := rundir.AtMetaURI(ls.MetaURI)
	s := &Step{
		RunID: ls.RunID, TaskID: ls.TaskID, Comp: &spec.ComponentSpec{OutputDefinitions: ls.Outputs},
		Paths: uris.Mounted(), URIs: uris, Store: store, System: map[string]string{"workspace_path": ls.Workspace},
	}
	// The step gets the container's environment (its own variables, the
	// secrets and config maps its pod maps in) but not the launch
	// description; its usage is the container's cgroup's.
	l := &Launcher{Executor: &local.Executor{Mode: local.Container, BaseEnv: local.Without(os.Environ(), launch.EnvSpec, launch.EnvArtifacts)}}
	defer l.Close()
	logw, _, err := l.OpenLog(ctx, s)
	if err != nil {
		return -1, err
	}
	log := io.MultiWriter(stdout, logw)
	code, err := l.launch(ctx, s, ls, argv, env, log)
	if err != nil {
		fmt.Fprintf(log, "sluice launch: %v\n", err)
	}
	if cerr := logw.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("log: %w", cerr)
	}
	return code, err
}

func (l *Launcher) launch(ctx context.Context, s *Step, ls *launch.Spec, argv, env []string, log io.Writer) (int, error) {
	var reqs []pyruntime.Requirement
	for _, r := range ls.Requirements {
		reqs = append(reqs, pyruntime.ParseRequirement(r))
	}
	out, res, err := l.runHere(ctx, s, ls.Input, reqs, ls.OutputFiles, &executor.Job{RunID: s.RunID, TaskID: s.TaskID, Argv: argv, Env: env, Dir: s.Paths.Work(), Log: log})
	if ee := (*ExitError)(nil); errors.As(err, &ee) {
		// The step failed: the record says so and carries what it used.
		if res != nil && res.Usage != nil {
			if werr := l.writeRecord(ctx, s, nil, res.Usage); werr != nil {
				fmt.Fprintf(log, "sluice launch: the step's resources were not recorded: %v\n", werr)
			}
		}
		return ee.Code, nil
	}
	if err != nil {
		return -1, err
	}
	var u *usage.Usage
	if res != nil {
		u = res.Usage
	}
	if err := l.writeRecord(ctx, s, out, u); err != nil {
		return -1, err
	}
	return 0, nil
}

// outputsRecord is what a remote launcher leaves in the store: the step's
// outputs and what it used (measured in its container).
type outputsRecord struct {
	plan.Outputs
	Resources *usage.Usage `json:"resources,omitempty"`
	// Failed marks the record of a step that exited non-zero: it has no
	// outputs, only what the step used.
	Failed bool `json:"failed,omitempty"`
}

// writeRecord leaves a step's outputs in the store for the launcher that
// asked a remote one to run it; out nil is the record of a failed step.
func (l *Launcher) writeRecord(ctx context.Context, s *Step, out *plan.Outputs, u *usage.Usage) error {
	if u != nil {
		u.Round()
	}
	rec := outputsRecord{Resources: u, Failed: out == nil}
	if out != nil {
		rec.Outputs = *out
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	uri := s.URIs.OutputsRecord()
	if len(b) > MaxOutputsRecord {
		return fmt.Errorf("the step's outputs record %s would be %d bytes, more than the limit of %s (pass big data as an artifact)", uri, len(b), bytesize.Text(MaxOutputsRecord))
	}
	key, ok := artifact.KeyOf(s.Store, uri)
	if !ok {
		return fmt.Errorf("%s is outside the artifact store", uri)
	}
	w, err := s.Store.Create(ctx, key)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, bytes.NewReader(b)); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// readRecord reads the outputs record a remote launcher left.
func (l *Launcher) readRecord(ctx context.Context, s *Step) (*plan.Outputs, *usage.Usage, error) {
	uri := s.URIs.OutputsRecord()
	st, key, err := l.storeFor(ctx, s, uri)
	if err != nil {
		return nil, nil, err
	}
	rc, err := st.Open(ctx, key)
	if err != nil {
		return nil, nil, fmt.Errorf("the step succeeded but its outputs record %s cannot be read: %w", uri, err)
	}
	defer rc.Close()
	// The step's pod wrote the record: it is bounded like the files it
	// is made of.
	b, err := readBounded(rc, "the step's outputs record "+uri, MaxOutputsRecord)
	if err != nil {
		return nil, nil, err
	}
	var rec outputsRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, nil, fmt.Errorf("outputs record %s: %v", uri, err)
	}
	if rec.Failed {
		return nil, nil, fmt.Errorf("the step succeeded but its outputs record %s is a failed attempt's", uri)
	}
	out := rec.Outputs
	if out.Parameters == nil {
		out.Parameters = map[string]any{}
	}
	if err := plan.CoerceOutputs(&out, s.Comp.OutputDefinitions); err != nil {
		return nil, nil, fmt.Errorf("outputs record %s: %v", uri, err)
	}
	if rec.Resources != nil {
		rec.Resources.Clean()
	}
	return &out, rec.Resources, nil
}

// readFailedUsage reads what a failed step used from the record its
// remote launcher left, or nil.
func (l *Launcher) readFailedUsage(ctx context.Context, s *Step) *usage.Usage {
	uri := s.URIs.OutputsRecord()
	st, key, err := l.storeFor(ctx, s, uri)
	if err != nil {
		return nil
	}
	rc, err := st.Open(ctx, key)
	if err != nil {
		return nil
	}
	defer rc.Close()
	var rec outputsRecord
	if err := json.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&rec); err != nil || !rec.Failed || rec.Resources == nil {
		return nil
	}
	rec.Resources.Clean()
	return rec.Resources
}
