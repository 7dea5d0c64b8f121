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

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/launch"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/pyruntime"
	"github.com/sluicehq/sluice/spec"
)

// resultName is the outputs record's name under the task's MetaURI.
const resultName = "outputs.json"

// launchSpec describes a prepared task for a remote launcher.
func launchSpec(t *Task, p *Prepared) (*launch.Spec, error) {
	if t.MetaURI == "" {
		return nil, errors.New("this executor runs steps on other machines: the pipeline root must be a bucket (s3://, gs://, azblob://), not a local directory")
	}
	ls := &launch.Spec{Protocol: launch.Protocol, RunID: t.RunID, TaskID: t.TaskID, Input: p.Input, Outputs: t.Comp.OutputDefinitions,
		Workspace: t.System["workspace_path"], MetaURI: t.MetaURI}
	if t.Exec != nil && t.Exec.Container != nil {
		ls.OutputFiles = t.Exec.Container.OutputFiles
	}
	for _, r := range p.Reqs {
		ls.Requirements = append(ls.Requirements, r.Raw)
	}
	return ls, nil
}

// remote reports whether the executor runs steps under a remote launcher.
func (l *Launcher) remote() bool {
	rl, ok := l.Executor.(executor.RemoteLauncher)
	return ok && rl.LaunchesRemotely()
}

// runRemote runs a prepared task with an executor that launches it on
// another machine, and reads back the outputs record the remote launcher
// wrote.
func (l *Launcher) runRemote(ctx context.Context, t *Task, p *Prepared, log io.Writer, att *Attempt) (*plan.Outputs, *Attempt, error) {
	ls, err := launchSpec(t, p)
	if err != nil {
		return nil, att, err
	}
	res, err := l.Executor.Run(ctx, &executor.Job{
		RunID: t.RunID, TaskID: t.TaskID, Image: p.Image, Argv: p.Argv, Env: p.Env, Log: log, Launch: ls, Attempt: t.Attempt,
		Resources: p.Resources, Platform: t.Platform, Params: t.Params,
	})
	if err != nil {
		return nil, att, err
	}
	att.ExitCode = res.ExitCode
	if res.ExitCode != 0 {
		return nil, att, &ExitError{Code: res.ExitCode}
	}
	uri := t.MetaURI + "/" + resultName
	s, key, err := l.storeFor(ctx, t, uri)
	if err != nil {
		return nil, att, err
	}
	rc, err := s.Open(ctx, key)
	if err != nil {
		return nil, att, fmt.Errorf("the step succeeded but its outputs record %s cannot be read: %w", uri, err)
	}
	defer rc.Close()
	var out plan.Outputs
	if err := json.NewDecoder(rc).Decode(&out); err != nil {
		return nil, att, fmt.Errorf("outputs record %s: %v", uri, err)
	}
	if out.Parameters == nil {
		out.Parameters = map[string]any{}
	}
	if err := plan.CoerceOutputs(&out, t.Comp.OutputDefinitions); err != nil {
		return nil, att, fmt.Errorf("outputs record %s: %v", uri, err)
	}
	return &out, att, nil
}

// Launch is sluice-launch: it runs argv as the step ls describes, on this
// machine, staging artifacts through the store. The step's output goes to
// stdout (and to the log in the store as it runs). It returns the
// command's exit code; an error means the launcher itself failed.
func Launch(ctx context.Context, ls *launch.Spec, store artifact.Store, argv, env []string, stdout io.Writer) (int, error) {
	if err := ls.Check(); err != nil {
		return -1, err
	}
	meta := spec.LocalPath(ls.MetaURI)
	t := &Task{
		RunID: ls.RunID, TaskID: ls.TaskID, Comp: &spec.ComponentSpec{OutputDefinitions: ls.Outputs},
		Meta: meta, MetaURI: ls.MetaURI, Store: store, System: map[string]string{"workspace_path": ls.Workspace},
	}
	l := &Launcher{Executor: &local.Executor{}}
	defer l.Close()
	logw, _, err := l.OpenLog(ctx, t)
	if err != nil {
		return -1, err
	}
	log := io.MultiWriter(stdout, logw)
	code, err := l.launch(ctx, t, ls, argv, env, log)
	if err != nil {
		fmt.Fprintf(log, "sluice launch: %v\n", err)
	}
	if cerr := logw.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("log: %w", cerr)
	}
	return code, err
}

func (l *Launcher) launch(ctx context.Context, t *Task, ls *launch.Spec, argv, env []string, log io.Writer) (int, error) {
	var reqs []pyruntime.Requirement
	for _, r := range ls.Requirements {
		reqs = append(reqs, pyruntime.ParseRequirement(r))
	}
	if err := l.checkRequirements(ctx, reqs); err != nil {
		return -1, err
	}
	if err := l.stageInputs(ctx, t, ls.Input); err != nil {
		return -1, err
	}
	// Output parents must exist: steps write to their paths directly.
	for _, list := range ls.Input.Outputs.Artifacts {
		for _, a := range list.Artifacts {
			os.MkdirAll(filepath.Dir(spec.LocalPath(a.URI)), 0o755)
		}
	}
	for _, op := range ls.Input.Outputs.Parameters {
		os.MkdirAll(filepath.Dir(op.OutputFile), 0o755)
	}
	if f := ls.Input.Outputs.OutputFile; f != "" {
		os.MkdirAll(filepath.Dir(f), 0o755)
	}
	work := filepath.Join(t.Meta, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return -1, err
	}
	res, err := l.Executor.Run(ctx, &executor.Job{RunID: t.RunID, TaskID: t.TaskID, Argv: argv, Env: env, Dir: work, Log: log})
	if err != nil {
		return -1, err
	}
	if res.ExitCode != 0 {
		return res.ExitCode, nil
	}
	out, err := ReadOutputs(t.Comp, ls.Input)
	if err != nil {
		return -1, err
	}
	if err := applyOutputFiles(ls.OutputFiles, ls.Input, out, spec.LocalPath); err != nil {
		return -1, err
	}
	if err := uploadCustomPaths(t, out); err != nil {
		return -1, err
	}
	if err := l.uploadOutputs(ctx, t, out.Artifacts); err != nil {
		return -1, err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return -1, err
	}
	key, ok := artifact.KeyOf(t.Store, t.MetaURI+"/"+resultName)
	if !ok {
		return -1, fmt.Errorf("%s is outside the artifact store", t.MetaURI)
	}
	w, err := t.Store.Create(ctx, key)
	if err != nil {
		return -1, err
	}
	if _, err := io.Copy(w, bytes.NewReader(b)); err != nil {
		w.Close()
		return -1, err
	}
	return 0, w.Close()
}
