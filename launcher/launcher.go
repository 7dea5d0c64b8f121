package launcher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/launch"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/pyruntime"
	"github.com/sluicehq/sluice/spec"
)

// Launcher runs container and importer tasks.
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

	mu      sync.Mutex
	checked map[string]error          // requirement set -> result
	stores  map[string]artifact.Store // bucket stores opened for foreign URIs
	locks   map[string]*sync.Mutex    // download locks by local path
}

// Task is one container or importer task, with its inputs resolved.
type Task struct {
	RunID    string
	TaskID   string // unique path of the task in the run, e.g. "for-loop-2/0/train"
	TaskName string // the task key
	Comp     *spec.ComponentSpec
	Exec     *spec.ExecutorSpec
	Inputs   *plan.Inputs
	// Root is the task root: output artifacts are provisioned under it and
	// its URI prefix is what dsl.get_uri() builds on. A local directory.
	Root string
	// Meta is a private directory for the log, output parameter files and
	// the working directory.
	Meta string
	// System holds the system placeholder values.
	System map[string]string

	// RootURI and MetaURI, for a run whose artifacts live in a bucket, are
	// the URIs of Root and Meta there (then Root and Meta are their local
	// mount paths under Scratch). Empty for a local run.
	RootURI, MetaURI string
	// Store holds the run's artifacts when they live in a bucket: remote
	// input artifacts are downloaded from it before the step and outputs
	// and the log uploaded to it.
	Store artifact.Store
	// Attempt counts the attempts of the task from 1.
	Attempt int
	// Platform and Params are the task's platform settings and the
	// resolver of their parameters (see executor.Job).
	Platform map[string]any
	Params   executor.ParamResolver
	// Scratch is the local directory remote URIs are mapped under
	// (Scratch + spec.LocalPath(uri)); steps get it as
	// SLUICE_URI_PATH_PREFIX. Empty for a local run.
	Scratch string
}

// Attempt is what one run of the process did, for the record.
type Attempt struct {
	Argv     []string
	Image    string
	ExitCode int
}

// ExitError is a step that ran and exited non-zero.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("the step exited with code %d", e.Code) }

// Prepared is a task ready to run: its ExecutorInput and command line.
type Prepared struct {
	Input     *spec.ExecutorInput
	Argv      []string
	Image     string
	Env       []string
	Reqs      []pyruntime.Requirement
	Resources executor.Resources
}

// Prepare provisions the task's outputs and expands its command line.
func (l *Launcher) Prepare(t *Task) (*Prepared, error) {
	c := t.Exec.Container
	if c == nil {
		return nil, errors.New("not a container task")
	}
	if t.Exec.Unsupported != "" {
		return nil, errors.New(t.Exec.Unsupported)
	}
	if t.Exec.NeedsKubernetes != "" && !l.remote() {
		return nil, errors.New(t.Exec.NeedsKubernetes)
	}
	if strings.HasPrefix(c.Image, "argostub/") {
		return nil, fmt.Errorf("%s is a Kubernetes operation (creating or deleting a PersistentVolumeClaim): it needs the kubernetes executor", strings.TrimPrefix(c.Image, "argostub/"))
	}
	params := make(map[string]any, len(t.Inputs.Params))
	for k, v := range t.Inputs.Params {
		if f, ok := v.(float64); ok && t.Comp.InputDefinitions != nil {
			if d := t.Comp.InputDefinitions.Parameters[k]; d != nil && d.ParameterType == spec.TypeDouble {
				v = spec.Double(f)
			}
		}
		params[k] = v
	}
	// Paths are the step's: on this machine (remote URIs mapped under
	// Scratch), or, for a remote launcher, the KFP mount paths there.
	root, meta, localPath := t.Root, t.Meta, t.localPath
	if l.remote() {
		if t.RootURI == "" {
			return nil, errors.New("this executor runs steps on other machines: the pipeline root must be a bucket (s3://, gs://, azblob://), not a local directory")
		}
		root, meta, localPath = spec.LocalPath(t.RootURI), spec.LocalPath(t.MetaURI), spec.LocalPath
	}
	in := &spec.ExecutorInput{
		Inputs: spec.ExecutorInputs{ParameterValues: params, Artifacts: map[string]*spec.ArtifactList{}},
		Outputs: spec.ExecutorOutputs{
			Parameters: map[string]*spec.OutputParameter{},
			Artifacts:  map[string]*spec.ArtifactList{},
			OutputFile: filepath.Join(root, "executor_output.json"),
		},
	}
	for name, arts := range t.Inputs.Artifacts {
		in.Inputs.Artifacts[name] = &spec.ArtifactList{Artifacts: arts}
	}
	if od := t.Comp.OutputDefinitions; od != nil {
		for name := range od.Parameters {
			in.Outputs.Parameters[name] = &spec.OutputParameter{OutputFile: filepath.Join(meta, "outputs", name)}
		}
		for name, a := range od.Artifacts {
			in.Outputs.Artifacts[name] = &spec.ArtifactList{Artifacts: []*spec.RuntimeArtifact{{
				Name: name, URI: t.uri(name), Type: a.ArtifactType, Metadata: map[string]any{},
			}}}
		}
	}
	pc := &spec.PlaceholderContext{Input: in, Present: t.Inputs.Present, System: t.System, LocalPath: localPath}
	if len(c.Command) == 0 {
		return nil, fmt.Errorf("the container has no command: the local executor cannot run image %q's entrypoint (give the component a command)", c.Image)
	}
	command := slices.Clone(c.Command)
	rest, reqs, found := pyruntime.SplitPipInstall(command)
	if found {
		command = rest
	}
	argv, err := spec.ExpandCommand(append(command, c.Args...), pc)
	if err != nil {
		return nil, err
	}
	if len(argv) == 0 {
		return nil, fmt.Errorf("the container has no command: image %q's entrypoint cannot be used by a local executor", c.Image)
	}
	image, err := spec.Substitute(c.Image, pc)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	env := make([]string, 0, len(c.Env)+1)
	for _, e := range c.Env {
		v, err := spec.Substitute(e.Value, pc)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		env = append(env, e.Name+"="+v)
	}
	if !l.remote() { // a remote launcher sets up its own machine's
		pp := l.PythonPath
		if old := os.Getenv("PYTHONPATH"); old != "" {
			pp += string(os.PathListSeparator) + old
		}
		env = append(env, "PYTHONPATH="+pp)
		if l.BinDir != "" {
			env = append(env, "PATH="+l.BinDir+string(os.PathListSeparator)+os.Getenv("PATH"))
		}
		if ws := t.System["workspace_path"]; ws != "" {
			env = append(env, launch.EnvWorkspacePath+"="+ws)
		}
		if t.Scratch != "" {
			env = append(env, launch.EnvURIPathPrefix+"="+t.Scratch)
		}
	}
	res, err := resources(c.Resources, t.Inputs.Params)
	if err != nil {
		return nil, err
	}
	return &Prepared{Input: in, Argv: argv, Image: image, Env: env, Reqs: reqs, Resources: res}, nil
}

// Run runs one attempt of a container task and returns its outputs. The
// task root and output files are cleared first, so that a retry starts
// clean. A non-zero exit is an *ExitError.
func (l *Launcher) Run(ctx context.Context, t *Task, p *Prepared, log io.Writer) (*plan.Outputs, *Attempt, error) {
	att := &Attempt{Argv: p.Argv, Image: p.Image, ExitCode: -1}
	if l.remote() {
		return l.runRemote(ctx, t, p, log, att)
	}
	if err := l.checkRequirements(ctx, p.Reqs); err != nil {
		return nil, att, err
	}
	// A retry starts clean: no outputs of an earlier attempt survive.
	outputs, work := filepath.Join(t.Meta, "outputs"), filepath.Join(t.Meta, "work")
	for _, d := range []string{t.Root, outputs} {
		if err := os.RemoveAll(d); err != nil {
			return nil, att, err
		}
	}
	for _, d := range []string{t.Root, work, outputs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, att, err
		}
	}
	if err := l.stageInputs(ctx, t, p.Input); err != nil {
		return nil, att, err
	}
	res, err := l.Executor.Run(ctx, &executor.Job{
		RunID: t.RunID, TaskID: t.TaskID, Image: p.Image, Argv: p.Argv, Env: p.Env, Dir: work, Log: log,
	})
	if err != nil {
		return nil, att, err
	}
	att.ExitCode = res.ExitCode
	if res.ExitCode != 0 {
		return nil, att, &ExitError{Code: res.ExitCode}
	}
	out, err := ReadOutputs(t.Comp, p.Input)
	if err != nil {
		return nil, att, err
	}
	if err := applyOutputFiles(t.Exec.Container.OutputFiles, p.Input, out, t.localPath); err != nil {
		return nil, att, err
	}
	if err := uploadCustomPaths(t, out); err != nil {
		return nil, att, err
	}
	if err := l.uploadOutputs(ctx, t, out.Artifacts); err != nil {
		return nil, att, err
	}
	return out, att, nil
}

// uploadCustomPaths copies output artifacts that a step wrote to a path of
// its choosing (Artifact.set_path / custom_path) to their URI's location, as
// the KFP launcher uploads them, so that consumers find them there.
func uploadCustomPaths(t *Task, out *plan.Outputs) error {
	for name, arts := range out.Artifacts {
		for _, a := range arts {
			if a.CustomPath == "" {
				continue
			}
			dst := t.localPath(a.URI)
			if !filepath.IsAbs(dst) || filepath.Clean(dst) == filepath.Clean(a.CustomPath) {
				continue
			}
			if _, err := os.Stat(a.CustomPath); err != nil {
				continue // nothing written: registered empty, like any output
			}
			if err := copyTree(a.CustomPath, dst); err != nil {
				return fmt.Errorf("output artifact %q: copy from custom path: %w", name, err)
			}
			a.CustomPath = ""
		}
	}
	return nil
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

// ReadOutputs collects a finished step's outputs: parameters from the
// ExecutorOutput file, else from their output files (converted by declared
// type); artifacts as provisioned, updated by the ExecutorOutput.
func ReadOutputs(comp *spec.ComponentSpec, in *spec.ExecutorInput) (*plan.Outputs, error) {
	out := &plan.Outputs{Parameters: map[string]any{}, Artifacts: map[string][]*spec.RuntimeArtifact{}}
	var eo spec.ExecutorOutput
	if b, err := os.ReadFile(in.Outputs.OutputFile); err == nil {
		if err := json.Unmarshal(b, &eo); err != nil {
			return nil, fmt.Errorf("read executor output %s: %v", in.Outputs.OutputFile, err)
		}
	}
	var defs *spec.Interface
	if comp.OutputDefinitions != nil {
		defs = comp.OutputDefinitions
	} else {
		defs = &spec.Interface{}
	}
	for name, pd := range defs.Parameters {
		v, ok := eo.ParameterValues[name]
		if !ok {
			if tv, okOld := eo.Parameters[name]; okOld {
				v, ok = tv.Value(), true
			}
		}
		if !ok {
			op := in.Outputs.Parameters[name]
			b, err := os.ReadFile(op.OutputFile)
			if err != nil {
				continue // absent: an error only if a consumer needs it
			}
			pv, err := ParseOutputParam(string(b), pd.ParameterType)
			if err != nil {
				return nil, fmt.Errorf("output parameter %q: %v", name, err)
			}
			v, ok = pv, true
		}
		cv, err := plan.Coerce(v, pd.ParameterType)
		if err != nil {
			return nil, fmt.Errorf("output parameter %q: %v", name, err)
		}
		out.Parameters[name] = cv
	}
	for name, list := range in.Outputs.Artifacts {
		arts := make([]*spec.RuntimeArtifact, 0, len(list.Artifacts))
		for i, a := range list.Artifacts {
			cp := *a
			cp.Metadata = cloneMap(a.Metadata)
			if upd := eo.Artifacts[name]; upd != nil && i < len(upd.Artifacts) && upd.Artifacts[i] != nil {
				u := upd.Artifacts[i]
				if u.URI != "" {
					cp.URI = u.URI
				}
				for k, v := range u.Metadata {
					cp.Metadata[k] = v
				}
				if u.CustomPath != "" {
					cp.CustomPath = u.CustomPath
				}
			}
			arts = append(arts, &cp)
		}
		out.Artifacts[name] = arts
	}
	return out, nil
}

// ParseOutputParam converts the text a step wrote to an output parameter
// file: STRING raw (not trimmed), other types trimmed and parsed.
func ParseOutputParam(text, typ string) (any, error) {
	if typ == spec.TypeString {
		return text, nil
	}
	t := strings.TrimSpace(text)
	switch typ {
	case spec.TypeBoolean:
		switch strings.ToLower(t) {
		case "true", "1", "t":
			return true, nil
		case "false", "0", "f":
			return false, nil
		}
		return nil, fmt.Errorf("expected a boolean, got %q", t)
	case spec.TypeList, spec.TypeStruct:
		var v any
		if err := json.Unmarshal([]byte(t), &v); err != nil {
			return nil, fmt.Errorf("expected JSON, got %q", t)
		}
		return v, nil
	}
	return plan.Coerce(t, typ)
}

// resources resolves a container's resource strings (which may hold
// {{$.inputs.parameters[...]}} placeholders); the deprecated numeric fields
// count when the string ones are absent (CPU in cores, memory in GB).
func resources(r *spec.ResourceSpec, params map[string]any) (executor.Resources, error) {
	var out executor.Resources
	if r == nil {
		return out, nil
	}
	pick := func(s string, num float64, scale float64) string {
		if s != "" {
			return strings.TrimSpace(spec.SubstituteInputParams(s, params))
		}
		if num > 0 {
			return strconv.FormatFloat(num*scale, 'f', -1, 64)
		}
		return ""
	}
	out.CPURequest = pick(r.ResourceCPURequest, r.CPURequest, 1)
	out.CPULimit = pick(r.ResourceCPULimit, r.CPULimit, 1)
	out.MemoryRequest = pick(r.ResourceMemoryRequest, r.MemoryRequest, 1e9)
	out.MemoryLimit = pick(r.ResourceMemoryLimit, r.MemoryLimit, 1e9)
	if a := r.Accelerator; a != nil {
		out.AcceleratorType = pick(a.ResourceType, 0, 0)
		if out.AcceleratorType == "" {
			out.AcceleratorType = pick(a.Type, 0, 0)
		}
		out.AcceleratorCount = pick(a.ResourceCount, 0, 0)
		if out.AcceleratorCount == "" {
			out.AcceleratorCount = pick(a.Count, 0, 0)
		}
	}
	return out, nil
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Import runs an importer task: one output artifact "artifact" from the
// resolved URI, with metadata templated from the task's parameters.
func (l *Launcher) Import(ctx context.Context, t *Task) (*plan.Outputs, error) {
	imp := t.Exec.Importer
	var uri any
	if imp.ArtifactURI.RuntimeParameter != "" {
		v, ok := t.Inputs.Params[imp.ArtifactURI.RuntimeParameter]
		if !ok {
			return nil, fmt.Errorf("importer: input %q (the artifact URI) has no value", imp.ArtifactURI.RuntimeParameter)
		}
		uri = v
	} else {
		uri = imp.ArtifactURI.Constant
	}
	s, ok := uri.(string)
	if !ok || s == "" {
		return nil, fmt.Errorf("importer: the artifact URI must be a non-empty string, got %v", uri)
	}
	s = plan.SubstituteSystem(s, t.System)
	md := map[string]any{}
	for k, v := range imp.Metadata {
		md[spec.SubstituteInputParams(k, t.Inputs.Params)] = templateValue(v, t.Inputs.Params)
	}
	if imp.DownloadToWorkspace {
		ws := t.System["workspace_path"]
		if ws == "" {
			return nil, errors.New("importer: download_to_workspace needs a workspace")
		}
		a := &spec.RuntimeArtifact{URI: s, Metadata: map[string]any{"_kfp_workspace": true}}
		dst := spec.ArtifactLocalPath(a, ws, nil)
		if artifact.IsBucketURI(s) {
			st, key, err := l.storeFor(ctx, t, s)
			if err == nil {
				err = st.Get(ctx, key, dst)
			}
			if err != nil {
				return nil, fmt.Errorf("importer: download %s to the workspace: %w", s, err)
			}
		} else {
			src := spec.LocalPath(s)
			if _, err := os.Stat(src); err != nil {
				return nil, fmt.Errorf("importer: download %s to the workspace: %v", s, err)
			}
			if err := copyTree(src, dst); err != nil {
				return nil, fmt.Errorf("importer: download %s to the workspace: %w", s, err)
			}
		}
		md["_kfp_workspace"] = true
	}
	return &plan.Outputs{
		Parameters: map[string]any{},
		Artifacts: map[string][]*spec.RuntimeArtifact{"artifact": {{
			Name: "artifact", URI: s, Type: imp.TypeSchema, Metadata: md,
		}}},
	}, nil
}

func templateValue(v any, params map[string]any) any {
	switch x := v.(type) {
	case string:
		// A value that is exactly one placeholder takes the parameter's value
		// with its type; otherwise it is text.
		if strings.HasPrefix(x, "{{$.inputs.parameters['") && strings.HasSuffix(x, "']}}") && strings.Count(x, "{{") == 1 {
			name := strings.TrimSuffix(strings.TrimPrefix(x, "{{$.inputs.parameters['"), "']}}")
			if pv, ok := params[name]; ok {
				return pv
			}
		}
		return spec.SubstituteInputParams(x, params)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[spec.SubstituteInputParams(k, params)] = templateValue(e, params)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = templateValue(e, params)
		}
		return out
	}
	return v
}
