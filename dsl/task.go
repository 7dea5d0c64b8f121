package dsl

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/spec"
)

// Task is one step of a pipeline: a component run with bound inputs. Its
// setters return the task so they can be chained.
type Task struct {
	p       *Pipeline
	def     *compDef
	name    string
	group   *group
	args    map[string]arg
	after   []*Task
	display string

	noCache        bool
	cacheKey       string
	retry          *spec.RetryPolicy
	env            []spec.EnvVar
	resources      *spec.ResourceSpec
	resArgs        map[string]Channel // resources taken from channels, by input name
	ignoreUpstream bool
	exitFor        *group
	k8s            *k8sSettings // Kubernetes settings (kubernetes.go)
}

type arg struct {
	decl  Input
	value any // JSON constant
	ch    *Channel
	tmpl  *Template
}

func (t *Task) key() string         { return t.name }
func (t *Task) parentGroup() *group { return t.group }

// Name is the task's key in the spec ("add", "add-2").
func (t *Task) Name() string { return t.name }

func (t *Task) errorf(input, format string, args ...any) {
	t.p.taskErrorf(t, input, format, args...)
}

func (t *Task) bind(decl Input, v any) {
	switch x := v.(type) {
	case Channel:
		if !t.checkChannel(decl.Name, x) {
			return
		}
		if x.kind != chanField && !compatible(x.Type(), decl.Type) {
			t.errorf(decl.Name, "wants %s, got %s (%s)", decl.Type, x.Type(), x)
			return
		}
		if x.kind == chanField && decl.Type.IsArtifact() {
			t.errorf(decl.Name, "wants %s, got %s (a parameter)", decl.Type, x)
			return
		}
		t.args[decl.Name] = arg{decl: decl, ch: &x}
	case *Channel:
		if x == nil {
			t.errorf(decl.Name, "nil Channel")
			return
		}
		t.bind(decl, *x)
	case Template:
		if decl.Type.param != spec.TypeString {
			t.errorf(decl.Name, "wants %s, got a string from Sprintf", decl.Type)
			return
		}
		for _, part := range x.parts {
			if c, ok := part.(Channel); ok {
				if !t.checkChannel(decl.Name, c) {
					return
				}
				if ct := c.Type(); ct.IsArtifact() {
					t.errorf(decl.Name, "Sprintf: %s is an artifact (%s); only parameters can be put in a string", c, ct)
					return
				}
			}
		}
		t.args[decl.Name] = arg{decl: decl, tmpl: &x}
	case *Task:
		t.errorf(decl.Name, "got a task: pass one of its outputs, task.Output(name) (outputs: %s)", strings.Join(quoteAll(x.def.outputNames()), ", "))
	default:
		if decl.Type.param == spec.TypeTaskFinalStatus {
			t.errorf(decl.Name, "a PipelineTaskFinalStatus input is filled in by ExitHandler or IgnoreUpstreamFailure, not given")
			return
		}
		j, err := checkConst(v, decl.Type)
		if err != nil {
			t.errorf(decl.Name, "%v", err)
			return
		}
		t.args[decl.Name] = arg{decl: decl, value: j}
	}
}

func (t *Task) checkChannel(input string, c Channel) bool {
	switch {
	case !c.valid():
		t.errorf(input, "got an invalid (zero) Channel")
		return false
	case c.p != t.p:
		t.errorf(input, "%s belongs to pipeline %q, not to %q", c, c.p.name, t.p.name)
		return false
	case c.task == t:
		t.errorf(input, "the task's own output %q cannot be its input", c.name)
		return false
	}
	return true
}

// Output is the task's output name, to pass to other tasks' inputs.
func (t *Task) Output(name string) Channel {
	o, ok := t.def.output(name)
	if !ok {
		t.errorf("", "Output(%q): no such output (component %q has: %s)", name, t.def.name, strings.Join(quoteAll(t.def.outputNames()), ", "))
		return Channel{}
	}
	return Channel{kind: chanOutput, p: t.p, name: name, typ: o.Type, task: t}
}

// After makes the task run after the given tasks (.after() in KFP), even if
// it uses none of their outputs.
func (t *Task) After(tasks ...*Task) *Task {
	for _, u := range tasks {
		switch {
		case u == nil:
			t.errorf("", "After(nil)")
		case u == t:
			t.errorf("", "a task cannot run after itself")
		case u.p != t.p:
			t.errorf("", "After(%q): that task belongs to another pipeline", u.name)
		case t.exitFor != nil:
			t.errorf("", "an exit task cannot depend on other tasks")
		default:
			t.after = append(t.after, u)
		}
	}
	return t
}

// SetDisplayName sets the task's display name (taskInfo.name).
func (t *Task) SetDisplayName(name string) *Task { t.display = name; return t }

// SetCaching turns caching of the task's results on (the default) or off
// (set_caching_options).
func (t *Task) SetCaching(enable bool) *Task { t.noCache = !enable; return t }

// SetCacheKey sets the key the task's results are cached under, instead of
// one computed from its inputs.
func (t *Task) SetCacheKey(key string) *Task { t.cacheKey = key; return t }

// SetRetry retries the task up to n times when it fails (set_retry), with
// no delay between attempts unless SetRetryBackoff says otherwise.
func (t *Task) SetRetry(n int) *Task {
	if n < 0 {
		t.errorf("", "SetRetry(%d): negative", n)
		return t
	}
	if t.retry == nil {
		t.retry = &spec.RetryPolicy{BackoffDuration: "0s", BackoffFactor: 2, BackoffMaxDuration: "3600s"}
	}
	t.retry.MaxRetryCount = n
	return t
}

// SetRetryBackoff sets the delay before retry i: initial × factor^i, at most
// max (KFP caps it at one hour). Call it with SetRetry.
func (t *Task) SetRetryBackoff(initial time.Duration, factor float64, max time.Duration) *Task {
	if initial < 0 || max < 0 || factor <= 0 {
		t.errorf("", "SetRetryBackoff(%v, %v, %v): durations must be >= 0 and the factor > 0", initial, factor, max)
		return t
	}
	if t.retry == nil {
		t.SetRetry(0)
	}
	max = min(max, time.Hour)
	t.retry.BackoffDuration = seconds(initial)
	t.retry.BackoffFactor = factor
	t.retry.BackoffMaxDuration = seconds(max)
	return t
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

// SetEnv sets an environment variable in the task's container
// (set_env_variable).
func (t *Task) SetEnv(name, value string) *Task {
	if name == "" {
		t.errorf("", "SetEnv: empty name")
		return t
	}
	for i := range t.env {
		if t.env[i].Name == name {
			t.env[i].Value = value
			return t
		}
	}
	t.env = append(t.env, spec.EnvVar{Name: name, Value: value})
	return t
}

// IgnoreUpstreamFailure runs the task when its upstream tasks have finished,
// whether they succeeded or not (ignore_upstream_failure). Inputs from a
// failed upstream take their defaults.
func (t *Task) IgnoreUpstreamFailure() *Task { t.ignoreUpstream = true; return t }

var (
	cpuQuantity    = regexp.MustCompile(`^([0-9]*\.?[0-9]+)(m?)$`)
	memoryQuantity = regexp.MustCompile(`^([0-9]*\.?[0-9]+)(E|Ei|P|Pi|T|Ti|G|Gi|M|Mi|K|Ki|k)?$`)
	memoryUnits    = map[string]float64{"": 1, "E": 1e18, "P": 1e15, "T": 1e12, "G": 1e9, "M": 1e6, "K": 1e3, "k": 1e3,
		"Ei": 1 << 60, "Pi": 1 << 50, "Ti": 1 << 40, "Gi": 1 << 30, "Mi": 1 << 20, "Ki": 1 << 10}
)

func (t *Task) res(what string) *spec.ResourceSpec {
	if t.def.exec == nil || t.def.exec.Container == nil {
		t.errorf("", "%s: only container tasks have resources", what)
		return &spec.ResourceSpec{}
	}
	if t.resources == nil {
		t.resources = &spec.ResourceSpec{}
	}
	return t.resources
}

func (t *Task) cpu(what string, v any) (string, float64, bool) {
	q, ok := v.(string)
	if !ok {
		t.errorf("", "%s: wants a string or a Channel, got %T", what, v)
		return "", 0, false
	}
	m := cpuQuantity.FindStringSubmatch(q)
	if m == nil {
		t.errorf("", "%s(%q): not a CPU quantity (e.g. \"2\", \"0.5\", \"500m\")", what, q)
		return "", 0, false
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	if m[2] == "m" {
		f /= 1000
	}
	return q, f, true
}

func (t *Task) memory(what string, v any) (string, float64, bool) {
	q, ok := v.(string)
	if !ok {
		t.errorf("", "%s: wants a string or a Channel, got %T", what, v)
		return "", 0, false
	}
	m := memoryQuantity.FindStringSubmatch(q)
	if m == nil {
		t.errorf("", "%s(%q): not a memory quantity (e.g. \"512Mi\", \"4G\")", what, q)
		return "", 0, false
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	return q, f * memoryUnits[m[2]] / 1e9, true
}

// Resource quantities are strings ("2", "500m", "4Gi") or string Channels
// (a pipeline parameter, a task output): the value is then read when the task
// runs, as set_cpu_limit(param) does in KFP.

// SetCPULimit sets the container's CPU limit ("2", "500m", or a Channel).
func (t *Task) SetCPULimit(q any) *Task {
	r := t.res("SetCPULimit")
	return t.setQuantity("SetCPULimit", "cpu_limit", q, &r.ResourceCPULimit, &r.CPULimit, t.cpu)
}

// SetCPURequest sets the container's CPU request.
func (t *Task) SetCPURequest(q any) *Task {
	r := t.res("SetCPURequest")
	return t.setQuantity("SetCPURequest", "cpu_request", q, &r.ResourceCPURequest, &r.CPURequest, t.cpu)
}

// SetMemoryLimit sets the container's memory limit ("512Mi", "4G", or a
// Channel).
func (t *Task) SetMemoryLimit(q any) *Task {
	r := t.res("SetMemoryLimit")
	return t.setQuantity("SetMemoryLimit", "memory_limit", q, &r.ResourceMemoryLimit, &r.MemoryLimit, t.memory)
}

// SetMemoryRequest sets the container's memory request.
func (t *Task) SetMemoryRequest(q any) *Task {
	r := t.res("SetMemoryRequest")
	return t.setQuantity("SetMemoryRequest", "memory_request", q, &r.ResourceMemoryRequest, &r.MemoryRequest, t.memory)
}

// setQuantity sets one resource: a Channel becomes a placeholder in the
// string field; a literal is parsed into the string field and its
// deprecated numeric twin.
func (t *Task) setQuantity(method, param string, q any, str *string, num *float64, parse func(string, any) (string, float64, bool)) *Task {
	if t.resChannel(method, param, q, str) {
		if s, f, ok := parse(method, q); ok {
			*str, *num = s, f
		}
	}
	return t
}

// SetAcceleratorType sets the accelerator the container needs
// ("nvidia.com/gpu", or a Channel); the count is 1 unless
// SetAcceleratorLimit says more.
func (t *Task) SetAcceleratorType(typ any) *Task {
	r := t.res("SetAcceleratorType")
	if r.Accelerator == nil {
		r.Accelerator = &spec.Accelerator{Count: "1", ResourceCount: "1"}
	}
	if !t.resChannel("SetAcceleratorType", "accelerator_type", typ, &r.Accelerator.ResourceType) {
		r.Accelerator.Type = ""
		return t
	}
	s, ok := typ.(string)
	if !ok {
		t.errorf("", "SetAcceleratorType: wants a string or a Channel, got %T", typ)
		return t
	}
	r.Accelerator.Type, r.Accelerator.ResourceType = s, s
	return t
}

// SetAcceleratorLimit sets how many accelerators the container needs (an
// int, or a Channel).
func (t *Task) SetAcceleratorLimit(n any) *Task {
	r := t.res("SetAcceleratorLimit")
	if r.Accelerator == nil {
		r.Accelerator = &spec.Accelerator{}
	}
	if !t.resChannel("SetAcceleratorLimit", "accelerator_count", n, &r.Accelerator.ResourceCount) {
		r.Accelerator.Count = ""
		return t
	}
	i, ok := n.(int)
	if !ok || i < 0 {
		t.errorf("", "SetAcceleratorLimit(%v): wants a count >= 0 or a Channel", n)
		return t
	}
	r.Accelerator.Count, r.Accelerator.ResourceCount = strconv.Itoa(i), strconv.Itoa(i)
	return t
}

// resChannel handles a resource given as a Channel: the task gets the
// input name (a template) and the channel's pipelinechannel input, and the
// resource field the same template. It returns true when v is not a Channel
// (the caller then handles a constant).
func (t *Task) resChannel(what, name string, v any, field *string) bool {
	c, ok := v.(Channel)
	if !ok {
		return true
	}
	if !t.checkChannel(name, c) {
		return false
	}
	switch c.kind {
	case chanParam, chanOutput, chanItem, chanField:
	default:
		t.errorf("", "%s: %s cannot set a resource; use a parameter, a task output or a loop item", what, c)
		return false
	}
	if ty := c.Type(); c.kind != chanField && ty.param != spec.TypeString && !(name == "accelerator_count" && ty.param == spec.TypeInteger) {
		t.errorf("", "%s: %s is a %s, not a str", what, c, ty)
		return false
	}
	tmpl := InputValue("pipelinechannel--" + c.fullName())
	if t.resArgs == nil {
		t.resArgs = map[string]Channel{}
	}
	t.resArgs[name] = c
	*field = tmpl
	return false
}

// Error is one mistake in a pipeline definition, naming the task and input
// at fault when there are ones.
type Error struct {
	Task  string
	Input string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Task != "" {
		fmt.Fprintf(&b, "task %q: ", e.Task)
	}
	if e.Input != "" {
		fmt.Fprintf(&b, "input %q: ", e.Input)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors are all the mistakes Compile found, in the order they were made.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}
