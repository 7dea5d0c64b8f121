package launcher

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/launch"
	"github.com/sluicehq/sluice/pyruntime"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/spec"
)

// Prepared is a step ready to run: its ExecutorInput and command line.
type Prepared struct {
	Input     *spec.ExecutorInput
	Argv      []string
	Image     string
	Env       []string
	Reqs      []pyruntime.Requirement
	Resources executor.Resources
}

// Prepare provisions the step's outputs and expands its command line, in
// named steps: the container (or why it cannot run), where the step's
// process finds its files, its ExecutorInput, its command (without the pip
// step), its environment and its resources.
func (l *Launcher) Prepare(s *Step) (*Prepared, error) {
	c, err := l.container(s)
	if err != nil {
		return nil, err
	}
	paths, localPath, err := l.stepPaths(s)
	if err != nil {
		return nil, err
	}
	in := executorInput(s, paths)
	pc := &spec.PlaceholderContext{Input: in, Present: s.Inputs.Present, System: s.System, LocalPath: localPath}
	argv, image, reqs, err := command(c, pc)
	if err != nil {
		return nil, err
	}
	env, err := l.env(s, c, pc, argv)
	if err != nil {
		return nil, err
	}
	res, err := resources(c.Resources, s.Inputs.Params)
	if err != nil {
		return nil, err
	}
	return &Prepared{Input: in, Argv: argv, Image: image, Env: env, Reqs: reqs, Resources: res}, nil
}

// container is the step's container, or why it cannot run here.
func (l *Launcher) container(s *Step) (*spec.ContainerSpec, error) {
	c := s.Exec.Container
	switch {
	case c == nil:
		return nil, errors.New("not a container task")
	case s.Exec.Unsupported != "":
		return nil, errors.New(s.Exec.Unsupported)
	case s.Exec.NeedsKubernetes != "" && !l.Remote():
		return nil, errors.New(s.Exec.NeedsKubernetes)
	case strings.HasPrefix(c.Image, "argostub/"):
		return nil, fmt.Errorf("%s is a Kubernetes operation (creating or deleting a PersistentVolumeClaim): it needs the kubernetes executor", strings.TrimPrefix(c.Image, "argostub/"))
	case len(c.Command) == 0:
		return nil, fmt.Errorf("the container has no command: the local executor cannot run image %q's entrypoint (give the component a command)", c.Image)
	}
	return c, nil
}

// errNeedsBucket is a local pipeline root given to an executor that runs
// steps on other machines.
var errNeedsBucket = errors.New("this executor runs steps on other machines: the pipeline root must be a bucket (s3://, gs://, azblob://), not a local directory")

// stepPaths are the step's directories as its process sees them, and how
// it maps artifact URIs to files: on this machine (bucket URIs under
// Scratch), or, for a remote launcher, the KFP mount paths there.
func (l *Launcher) stepPaths(s *Step) (rundir.Task, func(string) string, error) {
	if !l.Remote() {
		return s.Paths, s.localPath, nil
	}
	if s.URIs.IsZero() {
		return rundir.Task{}, nil, errNeedsBucket
	}
	return s.URIs.Mounted(), spec.LocalPath, nil
}

// executorInput is the step's ExecutorInput: its inputs, and its outputs
// provisioned in its directories.
func executorInput(s *Step, paths rundir.Task) *spec.ExecutorInput {
	params := make(map[string]any, len(s.Inputs.Params))
	for k, v := range s.Inputs.Params {
		if f, ok := v.(float64); ok && s.Comp.InputDefinitions != nil {
			if d := s.Comp.InputDefinitions.Parameters[k]; d != nil && d.ParameterType == spec.TypeDouble {
				v = spec.Double(f)
			}
		}
		params[k] = v
	}
	in := &spec.ExecutorInput{
		Inputs: spec.ExecutorInputs{ParameterValues: params, Artifacts: map[string]*spec.ArtifactList{}},
		Outputs: spec.ExecutorOutputs{
			Parameters: map[string]*spec.OutputParameter{},
			Artifacts:  map[string]*spec.ArtifactList{},
			OutputFile: paths.ExecutorOutput(),
		},
	}
	for name, arts := range s.Inputs.Artifacts {
		in.Inputs.Artifacts[name] = &spec.ArtifactList{Artifacts: arts}
	}
	if od := s.Comp.OutputDefinitions; od != nil {
		for name := range od.Parameters {
			in.Outputs.Parameters[name] = &spec.OutputParameter{OutputFile: paths.OutputParam(name)}
		}
		for name, a := range od.Artifacts {
			in.Outputs.Artifacts[name] = &spec.ArtifactList{Artifacts: []*spec.RuntimeArtifact{{
				Name: name, URI: s.uri(name), Type: a.ArtifactType, Metadata: map[string]any{},
			}}}
		}
	}
	return in
}

// command expands the container's command line and image; a lightweight
// Python component's pip step is dropped and its requirements returned, to
// be checked instead.
func command(c *spec.ContainerSpec, pc *spec.PlaceholderContext) (argv []string, image string, reqs []pyruntime.Requirement, err error) {
	cmd := slices.Clone(c.Command)
	if rest, r, found := pyruntime.SplitPipInstall(cmd); found {
		cmd, reqs = rest, r
	}
	argv, err = spec.ExpandCommand(append(cmd, c.Args...), pc)
	if err != nil {
		return nil, "", nil, err
	}
	if len(argv) == 0 {
		return nil, "", nil, fmt.Errorf("the container has no command: image %q's entrypoint cannot be used by a local executor", c.Image)
	}
	image, err = spec.Substitute(c.Image, pc)
	if err != nil {
		return nil, "", nil, fmt.Errorf("image: %w", err)
	}
	return argv, image, reqs, nil
}

// env is the step's environment: the container's (placeholders in its
// values substituted), and, on this machine, what the Python runtime needs
// (a remote launcher sets up its own machine's).
func (l *Launcher) env(s *Step, c *spec.ContainerSpec, pc *spec.PlaceholderContext, argv []string) ([]string, error) {
	env := make([]string, 0, len(c.Env)+4)
	for _, e := range c.Env {
		v, err := spec.Substitute(e.Value, pc)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		env = append(env, e.Name+"="+v)
	}
	if l.Remote() {
		return env, nil
	}
	pp := l.PythonPath
	if old := os.Getenv("PYTHONPATH"); old != "" {
		pp += string(os.PathListSeparator) + old
	}
	env = append(env, "PYTHONPATH="+pp)
	bin, err := l.pythonBin(argv)
	if err != nil {
		return nil, err
	}
	if bin != "" {
		env = append(env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	if ws := s.System["workspace_path"]; ws != "" {
		env = append(env, launch.EnvWorkspacePath+"="+ws)
	}
	if s.Scratch != "" {
		env = append(env, launch.EnvURIPathPrefix+"="+s.Scratch)
	}
	return env, nil
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
