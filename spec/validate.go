package spec

import (
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/sluicehq/sluice/internal/graph"
)

var validParamTypes = map[string]bool{
	TypeDouble: true, TypeInteger: true, TypeString: true, TypeBoolean: true,
	TypeList: true, TypeStruct: true, TypeTaskFinalStatus: true, TypeTaskConfig: true,
}

// Validate checks that a pipeline spec is complete and consistent: every
// reference resolves, every DAG is acyclic, every type is known. The first
// problem found is returned as an *Error naming the field.
func Validate(ps *PipelineSpec) error {
	if ps == nil {
		return errorf("", "no pipeline spec")
	}
	if strings.TrimSpace(ps.PipelineInfo.Name) == "" {
		return errorf("pipelineInfo.name", "the pipeline has no name")
	}
	if err := checkName("pipelineInfo.name", "the pipeline name", ps.PipelineInfo.Name); err != nil {
		return err
	}
	switch ps.SchemaVersion {
	case "", "2.0.0", "2.1.0":
	default:
		if !strings.HasPrefix(ps.SchemaVersion, "2.") {
			return errorf("schemaVersion", "unsupported schema version %q (supported: 2.1.0, 2.0.0)", ps.SchemaVersion)
		}
	}
	if ps.Parallelism < 0 {
		return errorf("parallelism", "must not be negative")
	}
	if ps.Root == nil {
		return errorf("root", "missing: the spec has no root DAG (is this a KFP pipeline spec?)")
	}
	if ps.Root.DAG == nil {
		return errorf("root.dag", "missing: the root component must be a DAG")
	}
	v := &validator{ps: ps, visiting: map[string]bool{}, done: map[string]bool{}}
	return v.component("root", ps.Root)
}

type validator struct {
	ps       *PipelineSpec
	visiting map[string]bool
	done     map[string]bool
	depth    int // DAG components being visited
	// stack is the path of components being visited, each with whether
	// the task that entered it is conditional.
	stack []frame
}

type frame struct {
	name string
	cond bool
}

// maxComponentNesting bounds how deeply DAG components may nest. Real
// pipelines nest a few levels; the bound keeps the recursion here (and in
// whatever walks the spec later) far from Go's stack limit, which a
// MaxPackageSize file could otherwise exceed (a fatal, unrecoverable error).
const maxComponentNesting = 1000

func (v *validator) component(field string, c *ComponentSpec) error {
	if err := checkInterface(field+".inputDefinitions", c.InputDefinitions); err != nil {
		return err
	}
	if err := checkInterface(field+".outputDefinitions", c.OutputDefinitions); err != nil {
		return err
	}
	switch {
	case c.DAG != nil && c.ExecutorLabel != "":
		return errorf(field, "has both a dag and an executorLabel")
	case c.DAG != nil:
		return v.dag(field+".dag", c, c.DAG)
	case c.ExecutorLabel != "":
		e := v.ps.DeploymentSpec.Executors[c.ExecutorLabel]
		if e == nil {
			return errorf(field+".executorLabel", "executor %q is not in deploymentSpec.executors", c.ExecutorLabel)
		}
		ef := "deploymentSpec.executors." + c.ExecutorLabel
		switch {
		case e.Container != nil:
			if e.Container.Image == "" {
				return errorf(ef+".container.image", "missing")
			}
		case e.Importer != nil:
			if e.Importer.ArtifactURI.Constant == nil && e.Importer.ArtifactURI.RuntimeParameter == "" {
				return errorf(ef+".importer.artifactUri", "missing: needs a constant or a runtimeParameter")
			}
		case e.Resolver != nil || e.CustomJob != nil:
			return errorf(ef, "resolver and customJob executors are not supported (only container and importer)")
		default:
			return errorf(ef, "has neither a container nor an importer")
		}
		return nil
	default:
		return errorf(field, "has neither a dag nor an executorLabel")
	}
}

// checkName refuses a name holding a control character (NUL, a newline,
// ...): names reach file names (mapped by the run layout), environment
// variables, logs and URLs, none of which can carry them faithfully.
func checkName(field, what, name string) error {
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return errorf(field, "%s %q holds a control character", what, name)
	}
	return nil
}

func checkInterface(field string, itf *Interface) error {
	if itf == nil {
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(itf.Parameters)) {
		if err := checkName(field+".parameters", "parameter", name); err != nil {
			return err
		}
		p := itf.Parameters[name]
		if p == nil {
			return errorf(field+".parameters."+name, "empty parameter definition")
		}
		if !validParamTypes[p.ParameterType] {
			if p.ParameterType == "" && p.Type != "" {
				return errorf(field+".parameters."+name+".parameterType", "missing, and the deprecated type %q is not INT, DOUBLE or STRING", p.Type)
			}
			if p.ParameterType == "" {
				return errorf(field+".parameters."+name+".parameterType", "missing")
			}
			return errorf(field+".parameters."+name+".parameterType", "unknown type %q", p.ParameterType)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(itf.Artifacts)) {
		if err := checkName(field+".artifacts", "artifact", name); err != nil {
			return err
		}
		if itf.Artifacts[name] == nil {
			return errorf(field+".artifacts."+name, "empty artifact definition")
		}
	}
	return nil
}

func (v *validator) dag(field string, owner *ComponentSpec, d *DAGSpec) error {
	if len(d.Tasks) == 0 {
		return errorf(field+".tasks", "the DAG has no tasks")
	}
	if d.Parallelism < 0 {
		return errorf(field+".parallelism", "must not be negative")
	}
	if d.TimeoutSeconds < 0 {
		return errorf(field+".timeoutSeconds", "must not be negative")
	}
	inputs := owner.InputDefinitions
	hasParam := func(n string) bool { return inputs != nil && inputs.Parameters[n] != nil }
	hasArt := func(n string) bool { return inputs != nil && inputs.Artifacts[n] != nil }
	for _, key := range slices.Sorted(maps.Keys(d.Tasks)) {
		if err := checkName(field+".tasks", "task", key); err != nil {
			return err
		}
		t := d.Tasks[key]
		tf := field + ".tasks." + key
		if t == nil {
			return errorf(tf, "empty task")
		}
		if t.ComponentRef.Name == "" {
			return errorf(tf+".componentRef.name", "missing")
		}
		c := v.ps.Components[t.ComponentRef.Name]
		if c == nil {
			if len(v.ps.Components) == 0 {
				return errorf(tf+".componentRef.name", "component %q is not in components: the spec has no \"components\" section", t.ComponentRef.Name)
			}
			return errorf(tf+".componentRef.name", "component %q is not in components", t.ComponentRef.Name)
		}
		for _, dep := range t.DependentTasks {
			if d.Tasks[dep] == nil {
				return errorf(tf+".dependentTasks", "unknown task %q", dep)
			}
		}
		if t.Inputs != nil {
			for _, name := range slices.Sorted(maps.Keys(t.Inputs.Parameters)) {
				in := t.Inputs.Parameters[name]
				pf := tf + ".inputs.parameters." + name
				if in == nil {
					return errorf(pf, "empty input")
				}
				switch {
				case in.ComponentInputParameter != "":
					if !hasParam(in.ComponentInputParameter) {
						return errorf(pf+".componentInputParameter", "the enclosing DAG has no input parameter %q", in.ComponentInputParameter)
					}
				case in.TaskOutputParameter != nil:
					if err := v.producer(d, pf+".taskOutputParameter.producerTask", in.TaskOutputParameter.ProducerTask, key); err != nil {
						return err
					}
				case in.TaskFinalStatus != nil:
					if err := v.producer(d, pf+".taskFinalStatus.producerTask", in.TaskFinalStatus.ProducerTask, key); err != nil {
						return err
					}
				case in.RuntimeValue != nil:
					if in.RuntimeValue.Constant == nil && in.RuntimeValue.RuntimeParameter == "" {
						return errorf(pf+".runtimeValue", "has no constant")
					}
				default:
					return errorf(pf, "has no value source (componentInputParameter, taskOutputParameter, runtimeValue or taskFinalStatus)")
				}
			}
			for _, name := range slices.Sorted(maps.Keys(t.Inputs.Artifacts)) {
				in := t.Inputs.Artifacts[name]
				af := tf + ".inputs.artifacts." + name
				switch {
				case in == nil:
					return errorf(af, "empty input")
				case in.ComponentInputArtifact != "":
					if !hasArt(in.ComponentInputArtifact) {
						return errorf(af+".componentInputArtifact", "the enclosing DAG has no input artifact %q", in.ComponentInputArtifact)
					}
				case in.TaskOutputArtifact != nil:
					if err := v.producer(d, af+".taskOutputArtifact.producerTask", in.TaskOutputArtifact.ProducerTask, key); err != nil {
						return err
					}
				case in.RawParameter != "":
					if t.Inputs.Parameters[in.RawParameter] == nil {
						return errorf(af+".rawParameter", "the task has no input parameter %q", in.RawParameter)
					}
				default:
					return errorf(af, "has no artifact source (componentInputArtifact or taskOutputArtifact)")
				}
			}
		}
		if it := t.ParameterIterator; it != nil {
			if it.ItemInput == "" {
				return errorf(tf+".parameterIterator.itemInput", "missing")
			}
			if it.Items.Raw == "" && it.Items.InputParameter == "" {
				return errorf(tf+".parameterIterator.items", "needs raw or inputParameter")
			}
			if it.Items.InputParameter != "" && (t.Inputs == nil || t.Inputs.Parameters[it.Items.InputParameter] == nil) {
				return errorf(tf+".parameterIterator.items.inputParameter", "the task has no input %q", it.Items.InputParameter)
			}
		}
		if it := t.ArtifactIterator; it != nil {
			if it.ItemInput == "" || it.Items.InputArtifact == "" {
				return errorf(tf+".artifactIterator", "needs itemInput and items.inputArtifact")
			}
			if t.Inputs == nil || t.Inputs.Artifacts[it.Items.InputArtifact] == nil {
				return errorf(tf+".artifactIterator.items.inputArtifact", "the task has no input artifact %q", it.Items.InputArtifact)
			}
		}
		if (t.ParameterIterator != nil || t.ArtifactIterator != nil) && c.DAG == nil {
			return errorf(tf, "a loop task must run a DAG component")
		}
		if tp := t.TriggerPolicy; tp != nil {
			switch tp.Strategy {
			case "", StrategyAllSucceeded, StrategyAllCompleted, "TRIGGER_STRATEGY_UNSPECIFIED":
			default:
				return errorf(tf+".triggerPolicy.strategy", "unknown strategy %q", tp.Strategy)
			}
		}
		cond := t.TriggerPolicy != nil && t.TriggerPolicy.Condition != ""
		if err := v.componentOnce(tf+".componentRef", t.ComponentRef.Name, c, cond); err != nil {
			return err
		}
	}
	if cyc := findCycle(d); cyc != nil {
		return errorf(field+".tasks", "dependency cycle: %s", strings.Join(cyc, " -> "))
	}
	if d.Outputs != nil {
		for _, name := range slices.Sorted(maps.Keys(d.Outputs.Parameters)) {
			o := d.Outputs.Parameters[name]
			of := field + ".outputs.parameters." + name
			var sels []ParameterSelector
			switch {
			case o == nil:
				return errorf(of, "empty output")
			case o.ValueFromParameter != nil:
				sels = []ParameterSelector{*o.ValueFromParameter}
			case o.ValueFromOneof != nil:
				sels = o.ValueFromOneof.ParameterSelectors
			}
			if len(sels) == 0 {
				return errorf(of, "has no selector")
			}
			for _, s := range sels {
				if d.Tasks[s.ProducerSubtask] == nil {
					return errorf(of, "unknown producer subtask %q", s.ProducerSubtask)
				}
			}
		}
		for _, name := range slices.Sorted(maps.Keys(d.Outputs.Artifacts)) {
			o := d.Outputs.Artifacts[name]
			of := field + ".outputs.artifacts." + name
			if o == nil || len(o.ArtifactSelectors) == 0 {
				return errorf(of, "has no artifact selector")
			}
			for _, s := range o.ArtifactSelectors {
				if d.Tasks[s.ProducerSubtask] == nil {
					return errorf(of, "unknown producer subtask %q", s.ProducerSubtask)
				}
			}
		}
	}
	return nil
}

// componentOnce validates a component the first time a task refers to
// it. A component may contain itself (recursion, as KFP v1 graph
// components compile) only through a conditional task: otherwise it would
// never end. The engine bounds the depth of what does.
func (v *validator) componentOnce(field, name string, c *ComponentSpec, cond bool) error {
	if v.visiting[name] {
		for i := len(v.stack) - 1; i >= 0 && !cond; i-- {
			if v.stack[i].name == name {
				break
			}
			cond = v.stack[i].cond
		}
		if !cond {
			return errorf(field, "component %q contains itself with no condition on the way: it would never end", name)
		}
		return nil
	}
	if v.done[name] {
		return nil
	}
	if v.depth >= maxComponentNesting {
		return errorf(field, "components nest more than %d levels deep", maxComponentNesting)
	}
	v.visiting[name] = true
	v.depth++
	v.stack = append(v.stack, frame{name, cond})
	err := v.component("components."+name, c)
	v.stack = v.stack[:len(v.stack)-1]
	v.depth--
	v.visiting[name] = false
	v.done[name] = true
	return err
}

func (v *validator) producer(d *DAGSpec, field, producer, self string) error {
	if producer == "" {
		return errorf(field, "missing")
	}
	if d.Tasks[producer] == nil {
		return errorf(field, "unknown task %q", producer)
	}
	if producer == self {
		return errorf(field, "a task cannot consume its own output")
	}
	return nil
}

// Upstream returns the sibling tasks a task depends on: its dependentTasks
// plus every producer its inputs reference, sorted and without duplicates.
func Upstream(t *TaskSpec) []string {
	deps := slices.Clone(t.DependentTasks)
	if t.Inputs != nil {
		for _, in := range t.Inputs.Parameters {
			if in == nil {
				continue
			}
			if in.TaskOutputParameter != nil {
				deps = append(deps, in.TaskOutputParameter.ProducerTask)
			}
			if in.TaskFinalStatus != nil {
				deps = append(deps, in.TaskFinalStatus.ProducerTask)
			}
		}
		for _, in := range t.Inputs.Artifacts {
			if in != nil && in.TaskOutputArtifact != nil {
				deps = append(deps, in.TaskOutputArtifact.ProducerTask)
			}
		}
	}
	sort.Strings(deps)
	return slices.Compact(deps)
}

// findCycle returns a dependency cycle among the DAG's tasks, or nil;
// dependencies on tasks the DAG does not have are reported elsewhere.
func findCycle(d *DAGSpec) []string {
	deps := make(map[string][]string, len(d.Tasks))
	for k, t := range d.Tasks {
		deps[k] = slices.DeleteFunc(Upstream(t), func(u string) bool { return d.Tasks[u] == nil })
	}
	return graph.FindCycle(deps)
}

var k8sUnsafe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^-0-9a-z]+`) })
var dashes = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`-+`) })

// SafeName turns a name into the k8s-safe form KFP uses for component keys
// and executor labels: lowercase, runs of other characters become '-',
// repeated '-' collapsed, '-' stripped at both ends.
func SafeName(s string) string {
	s = k8sUnsafe().ReplaceAllString(strings.ToLower(s), "-")
	s = dashes().ReplaceAllString(s, "-")
	return strings.Trim(s, "-")
}

var identUnsafe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^_0-9a-z]+`) })

// SanitizeInputName turns a v1 input/output name into the IR form:
// lowercase, runs of other characters become '_', '_' stripped at both ends.
func SanitizeInputName(s string) string {
	s = identUnsafe().ReplaceAllString(strings.ToLower(s), "_")
	return strings.Trim(s, "_")
}
