package dsl

import (
	"encoding/json"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/spec"
)

// Kubernetes settings of a task: what the kfp-kubernetes extension
// (kfp.kubernetes) sets in KFP. They go to the second YAML document the
// KFP compiler writes — platforms.kubernetes.deploymentSpec.executors, keyed
// by the task's executor label —, written only when some task has one.
// Sluice's Kubernetes executor applies them to the step's pod; the local
// executor warns that it does not.
//
// Where kfp-kubernetes takes a name from a pipeline parameter or a task
// output (secrets, config maps, PVCs, image pull secrets), so do these
// methods: pass a string Channel instead of a string. A constant name is
// written both as secretNameParameter {runtimeValue: {constant: name}} and as
// the deprecated secretName field, as kfp-kubernetes writes it; a channel is
// resolved where the task runs, like its inputs (a pipelinechannel input of
// the groups around it, a dependency on the task producing it).

// k8sValue is what a setting takes: a constant (a name, or the JSON value
// of a *Json setting) or a channel read when the task runs.
type k8sValue struct {
	constant any
	ch       *Channel
}

type k8sMount struct {
	name      k8sValue
	mountPath string
	optional  bool
}

type k8sEnvFrom struct {
	name     k8sValue
	keys     [][2]string // key, environment variable; sorted by key
	optional bool
}

type k8sPVC struct {
	name               k8sValue
	mountPath, subPath string
}

type k8sToleration struct {
	tol  Toleration
	json *k8sValue
}

type k8sEmptyDir struct {
	volume, mountPath, medium, sizeLimit string
}

type k8sFieldPath struct{ env, fieldPath string }

// k8sSettings are a task's Kubernetes settings, in the order they were
// made (lists keep it, as kfp-kubernetes does).
type k8sSettings struct {
	secretVolumes    []k8sMount
	secretEnv        []k8sEnvFrom
	configMapVolumes []k8sMount
	configMapEnv     []k8sEnvFrom
	pvcs             []k8sPVC
	nodeSelector     map[string]string
	nodeSelectorJSON *k8sValue
	labels           map[string]string
	annotations      map[string]string
	pullSecrets      []k8sValue
	pullPolicy       string
	deadline         int64
	fieldPaths       []k8sFieldPath
	tolerations      []k8sToleration
	nodeAffinity     []k8sValue
	emptyDirs        []k8sEmptyDir
	sharedMemory     *k8sEmptyDir
	// mounts and volumes are the mount paths and volume names in use,
	// with what uses them, to report duplicates.
	mounts  map[string]string
	volumes map[string]string
}

// Toleration lets a task's pod be scheduled on nodes with a matching taint
// (add_toleration in kfp-kubernetes). Empty fields are left out.
type Toleration struct {
	// Key is the taint's key; empty matches every key (Operator must then
	// be "Exists").
	Key string
	// Operator is "Equal" (the default: the taint's value must be Value) or
	// "Exists" (any value).
	Operator string
	Value    string
	// Effect is the taint effect to match: "NoSchedule",
	// "PreferNoSchedule" or "NoExecute"; empty matches all.
	Effect string
	// Seconds is how long a NoExecute toleration tolerates the taint once
	// it appears (nil: forever).
	Seconds *int64
}

var (
	// k8sObjectName is a DNS-1123 subdomain: the names of secrets, config
	// maps and PVCs.
	k8sObjectName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// k8sVolumeName is a DNS-1123 label.
	k8sVolumeName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// k8sLabelName is the name part of a label or annotation key, and a
	// label value.
	k8sLabelName = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	// k8sDataKey is a key of a secret's or config map's data.
	k8sDataKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	// k8sFieldPathRE are the pod fields an environment variable may hold.
	k8sFieldPathRE = regexp.MustCompile(`^(metadata\.(name|namespace|uid)|metadata\.(labels|annotations)\['[^']+'\]|spec\.(nodeName|serviceAccountName)|status\.(hostIP|hostIPs|podIP|podIPs))$`)
)

// kube returns the task's Kubernetes settings, reporting an error if the
// task does not run in a pod of its own.
func (t *Task) kube(what string) *k8sSettings {
	if t.def.exec == nil || t.def.exec.Container == nil {
		kind := "an importer"
		if t.def.exec == nil {
			kind = "a nested pipeline"
		}
		t.errorf("", "%s: only container tasks have Kubernetes settings (this task runs %s)", what, kind)
		return &k8sSettings{mounts: map[string]string{}, volumes: map[string]string{}}
	}
	if t.k8s == nil {
		t.k8s = &k8sSettings{mounts: map[string]string{}, volumes: map[string]string{}}
	}
	return t.k8s
}

// options reads the options of a task method, reporting those that do not
// apply.
func (t *Task) options(what string, opts []Option, allowed ...string) groupOptions {
	o := groupOptions{set: map[string]bool{}}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(o.set)) {
		if !slices.Contains(allowed, k) {
			t.errorf("", "%s: option %s does not apply", what, k)
		}
	}
	return o
}

// Optional lets the task run when the secret or config map it uses does
// not exist (optional=True in kfp-kubernetes): the variables are then unset,
// the volume empty. A name taken from a channel that has no value is left
// out.
func Optional() Option {
	return func(o *groupOptions) { o.optional = true; o.set["Optional"] = true }
}

// SubPath mounts a path inside the PVC instead of its root (MountPVC).
func SubPath(p string) Option {
	return func(o *groupOptions) { o.subPath = p; o.set["SubPath"] = true }
}

// Medium is the storage medium of an emptyDir volume (MountEmptyDir):
// "Memory" (a tmpfs) or "HugePages"; the node's disk by default.
func Medium(m string) Option {
	return func(o *groupOptions) { o.medium = m; o.set["Medium"] = true }
}

// SizeLimit bounds the size of an emptyDir volume ("1Gi"; MountEmptyDir).
func SizeLimit(q string) Option {
	return func(o *groupOptions) { o.sizeLimit = q; o.set["SizeLimit"] = true }
}

// k8sName checks a name given as a string or a string Channel.
func (t *Task) k8sName(what, kind string, v any) (k8sValue, bool) {
	switch x := v.(type) {
	case string:
		switch {
		case x == "":
			t.errorf("", "%s: empty %s name", what, kind)
		case len(x) > 253 || !k8sObjectName.MatchString(x):
			t.errorf("", "%s(%q): not a valid %s name (lowercase letters, digits, '-' and '.', at most 253 characters)", what, x, kind)
		default:
			return k8sValue{constant: x}, true
		}
	case Channel:
		if t.k8sChannel(what, x, String) {
			return k8sValue{ch: &x}, true
		}
	case *Channel:
		if x == nil {
			t.errorf("", "%s: nil Channel", what)
			break
		}
		return t.k8sName(what, kind, *x)
	case Template:
		t.errorf("", "%s: a %s name cannot be made with Sprintf; compute it in a task and pass its output", what, kind)
	default:
		t.errorf("", "%s: wants the %s name as a string or a string Channel, got %T", what, kind, v)
	}
	return k8sValue{}, false
}

// k8sChannel checks a channel used by a setting: one of this pipeline, of
// one of the types wanted.
func (t *Task) k8sChannel(what string, c Channel, want ...Type) bool {
	switch {
	case !c.valid():
		t.errorf("", "%s: got an invalid (zero) Channel", what)
	case c.p != t.p:
		t.errorf("", "%s: %s belongs to pipeline %q, not to %q", what, c, c.p.name, t.p.name)
	case c.task == t && c.kind == chanOutput:
		t.errorf("", "%s: the task's own output %q cannot configure its pod", what, c.name)
	case c.kind == chanField:
		return true // typed when the task runs
	case !slices.ContainsFunc(want, func(w Type) bool { return compatible(c.Type(), w) && !c.Type().IsArtifact() }):
		var names []string
		for _, w := range want {
			names = append(names, w.String())
		}
		t.errorf("", "%s: %s is a %s, not a %s", what, c, c.Type(), strings.Join(names, " or "))
	default:
		return true
	}
	return false
}

// k8sJSON checks the value of a *Json setting: a Channel of one of the
// types wanted, or a constant that encoding/json turns into one.
func (t *Task) k8sJSON(what string, v any, want ...Type) (k8sValue, bool) {
	switch x := v.(type) {
	case Channel:
		if t.k8sChannel(what, x, want...) {
			return k8sValue{ch: &x}, true
		}
		return k8sValue{}, false
	case *Channel:
		if x != nil {
			return t.k8sJSON(what, *x, want...)
		}
	case nil:
	default:
		j, err := jsonValue(v)
		if err != nil {
			t.errorf("", "%s: %v", what, err)
			return k8sValue{}, false
		}
		for _, w := range want {
			switch j.(type) {
			case map[string]any:
				if w.param == spec.TypeStruct {
					return k8sValue{constant: j}, true
				}
			case []any:
				if w.param == spec.TypeList {
					return k8sValue{constant: j}, true
				}
			}
		}
	}
	var names []string
	for _, w := range want {
		names = append(names, w.String())
	}
	t.errorf("", "%s: wants a %s (a Go value or a Channel), got %s", what, strings.Join(names, " or "), describeConst(v))
	return k8sValue{}, false
}

// mountPath checks a mount path and claims it for the task.
func (t *Task) mountPath(k *k8sSettings, what, p, user string) bool {
	switch {
	case p == "":
		t.errorf("", "%s: empty mount path", what)
	case !path.IsAbs(p) || strings.Contains(p, ":"):
		t.errorf("", "%s(%q): the mount path must be an absolute path without ':'", what, p)
	case k.mounts[path.Clean(p)] != "":
		t.errorf("", "%s: mount path %q is already used by %s", what, p, k.mounts[path.Clean(p)])
	default:
		k.mounts[path.Clean(p)] = user
		return true
	}
	return false
}

// volumeName checks a volume name and claims it for the task.
func (t *Task) volumeName(k *k8sSettings, what, v string) bool {
	switch {
	case v == "":
		t.errorf("", "%s: empty volume name", what)
	case len(v) > 63 || !k8sVolumeName.MatchString(v):
		t.errorf("", "%s(%q): not a valid volume name (lowercase letters, digits and '-', at most 63 characters)", what, v)
	case k.volumes[v] != "":
		t.errorf("", "%s: volume name %q is already used by %s", what, v, k.volumes[v])
	default:
		k.volumes[v] = what
		return true
	}
	return false
}

// keyToEnv checks and sorts a map of data keys to environment variables.
func (t *Task) keyToEnv(what, kind string, m map[string]string) ([][2]string, bool) {
	if len(m) == 0 {
		t.errorf("", "%s: no keys: map each key of the %s to an environment variable", what, kind)
		return nil, false
	}
	ok := true
	var keys [][2]string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		env := m[k]
		switch {
		case !k8sDataKey.MatchString(k):
			t.errorf("", "%s: %q is not a valid %s key (letters, digits, '-', '_' and '.')", what, k, kind)
			ok = false
		case !validEnvName(env):
			t.errorf("", "%s: key %q: %q is not a valid environment variable name", what, k, env)
			ok = false
		}
		keys = append(keys, [2]string{k, env})
	}
	return keys, ok
}

func validEnvName(s string) bool {
	return s != "" && !strings.ContainsAny(s, "=\x00")
}

// validLabelKey reports whether s is a label or annotation key: a name,
// with an optional DNS subdomain prefix and '/'.
func validLabelKey(s string) bool {
	name := s
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		prefix := s[:i]
		name = s[i+1:]
		if len(prefix) > 253 || !k8sObjectName.MatchString(prefix) {
			return false
		}
	}
	return len(name) <= 63 && k8sLabelName.MatchString(name)
}

// UseSecretAsEnv sets environment variables of the task's container from
// keys of a Kubernetes secret (use_secret_as_env): keyToEnv maps each key
// of the secret to a variable. The secret's name is a string or a string
// Channel. Option: [Optional].
func (t *Task) UseSecretAsEnv(secret any, keyToEnv map[string]string, opts ...Option) *Task {
	const what = "UseSecretAsEnv"
	o := t.options(what, opts, "Optional")
	k := t.kube(what)
	name, ok := t.k8sName(what, "secret", secret)
	keys, ok2 := t.keyToEnv(what, "secret", keyToEnv)
	if ok && ok2 {
		k.secretEnv = append(k.secretEnv, k8sEnvFrom{name: name, keys: keys, optional: o.optional})
	}
	return t
}

// UseSecretAsVolume mounts a Kubernetes secret at mountPath in the task's
// container, one file per key (use_secret_as_volume). The secret's name is
// a string or a string Channel. Option: [Optional].
func (t *Task) UseSecretAsVolume(secret any, mountPath string, opts ...Option) *Task {
	const what = "UseSecretAsVolume"
	o := t.options(what, opts, "Optional")
	k := t.kube(what)
	name, ok := t.k8sName(what, "secret", secret)
	if ok && t.mountPath(k, what, mountPath, "a secret") {
		k.secretVolumes = append(k.secretVolumes, k8sMount{name: name, mountPath: mountPath, optional: o.optional})
	}
	return t
}

// UseConfigMapAsEnv sets environment variables of the task's container
// from keys of a config map (use_config_map_as_env). The config map's name
// is a string or a string Channel. Option: [Optional].
func (t *Task) UseConfigMapAsEnv(configMap any, keyToEnv map[string]string, opts ...Option) *Task {
	const what = "UseConfigMapAsEnv"
	o := t.options(what, opts, "Optional")
	k := t.kube(what)
	name, ok := t.k8sName(what, "config map", configMap)
	keys, ok2 := t.keyToEnv(what, "config map", keyToEnv)
	if ok && ok2 {
		k.configMapEnv = append(k.configMapEnv, k8sEnvFrom{name: name, keys: keys, optional: o.optional})
	}
	return t
}

// UseConfigMapAsVolume mounts a config map at mountPath in the task's
// container (use_config_map_as_volume). The config map's name is a string
// or a string Channel. Option: [Optional].
func (t *Task) UseConfigMapAsVolume(configMap any, mountPath string, opts ...Option) *Task {
	const what = "UseConfigMapAsVolume"
	o := t.options(what, opts, "Optional")
	k := t.kube(what)
	name, ok := t.k8sName(what, "config map", configMap)
	if ok && t.mountPath(k, what, mountPath, "a config map") {
		k.configMapVolumes = append(k.configMapVolumes, k8sMount{name: name, mountPath: mountPath, optional: o.optional})
	}
	return t
}

// MountPVC mounts a PersistentVolumeClaim at mountPath in the task's
// container (mount_pvc). The claim's name is a string or a string Channel —
// typically the "name" output of a [CreatePVC] task, which the task then
// runs after. Option: [SubPath].
func (t *Task) MountPVC(pvc any, mountPath string, opts ...Option) *Task {
	const what = "MountPVC"
	o := t.options(what, opts, "SubPath")
	k := t.kube(what)
	name, ok := t.k8sName(what, "PVC", pvc)
	if o.set["SubPath"] {
		sp := o.subPath
		if sp == "" || path.IsAbs(sp) || slices.Contains(strings.Split(sp, "/"), "..") {
			t.errorf("", "%s: SubPath(%q): must be a relative path inside the volume, without '..'", what, sp)
			ok = false
		}
	}
	if ok && t.mountPath(k, what, mountPath, "a PVC") {
		k.pvcs = append(k.pvcs, k8sPVC{name: name, mountPath: mountPath, subPath: o.subPath})
	}
	return t
}

// MountEmptyDir mounts an empty directory, made when the pod starts and
// removed with it, at mountPath in the task's container (empty_dir_mount).
// Options: [Medium], [SizeLimit].
func (t *Task) MountEmptyDir(volumeName, mountPath string, opts ...Option) *Task {
	const what = "MountEmptyDir"
	o := t.options(what, opts, "Medium", "SizeLimit")
	k := t.kube(what)
	ok := true
	switch m := o.medium; {
	case m == "" || m == "Memory" || m == "HugePages":
	case strings.HasPrefix(m, "HugePages-") && memoryQuantity.MatchString(strings.TrimPrefix(m, "HugePages-")):
	default:
		t.errorf("", "%s: Medium(%q): wants \"Memory\" or \"HugePages\"", what, m)
		ok = false
	}
	if o.set["SizeLimit"] && !memoryQuantity.MatchString(o.sizeLimit) {
		t.errorf("", "%s: SizeLimit(%q): not a quantity (e.g. \"512Mi\", \"1Gi\")", what, o.sizeLimit)
		ok = false
	}
	if ok && t.volumeName(k, what, volumeName) && t.mountPath(k, what, mountPath, "emptyDir volume "+strconv.Quote(volumeName)) {
		k.emptyDirs = append(k.emptyDirs, k8sEmptyDir{volume: volumeName, mountPath: mountPath, medium: o.medium, sizeLimit: o.sizeLimit})
	}
	return t
}

// EnableSharedMemory mounts a memory-backed volume named "shm" at /dev/shm
// (enable_shared_memory), of at most size ("1Gi"; "" for no limit).
func (t *Task) EnableSharedMemory(size string) *Task {
	const what = "EnableSharedMemory"
	k := t.kube(what)
	switch {
	case k.sharedMemory != nil:
		t.errorf("", "%s: called twice", what)
	case size != "" && !memoryQuantity.MatchString(size):
		t.errorf("", "%s(%q): not a quantity (e.g. \"512Mi\", \"1Gi\")", what, size)
	case t.volumeName(k, what, "shm") && t.mountPath(k, what, "/dev/shm", "shared memory"):
		k.sharedMemory = &k8sEmptyDir{volume: "shm", mountPath: "/dev/shm", medium: "Memory", sizeLimit: size}
	}
	return t
}

// AddNodeSelector makes the task's pod run only on nodes with label
// key=value (add_node_selector); calls add up.
func (t *Task) AddNodeSelector(key, value string) *Task {
	const what = "AddNodeSelector"
	k := t.kube(what)
	switch {
	case !validLabelKey(key):
		t.errorf("", "%s: %q is not a valid label key", what, key)
	case value != "" && (len(value) > 63 || !k8sLabelName.MatchString(value)):
		t.errorf("", "%s: %q is not a valid label value (letters, digits, '-', '_' and '.', at most 63 characters)", what, value)
	default:
		if k.nodeSelector == nil {
			k.nodeSelector = map[string]string{}
		}
		k.nodeSelector[key] = value
	}
	return t
}

// AddNodeSelectorJSON sets the node selector from a dict: a dict Channel
// (a pipeline parameter or task output) or a Go map (add_node_selector_json).
// It adds to the labels of AddNodeSelector, and wins over them.
func (t *Task) AddNodeSelectorJSON(selector any) *Task {
	const what = "AddNodeSelectorJSON"
	k := t.kube(what)
	if v, ok := t.k8sJSON(what, selector, Struct); ok {
		k.nodeSelectorJSON = &v
	}
	return t
}

// AddToleration lets the task's pod run on nodes with a matching taint
// (add_toleration).
func (t *Task) AddToleration(tol Toleration) *Task {
	const what = "AddToleration"
	k := t.kube(what)
	switch {
	case tol.Operator != "" && tol.Operator != "Equal" && tol.Operator != "Exists":
		t.errorf("", "%s: operator %q: wants \"Equal\" or \"Exists\"", what, tol.Operator)
	case tol.Effect != "" && tol.Effect != "NoSchedule" && tol.Effect != "PreferNoSchedule" && tol.Effect != "NoExecute":
		t.errorf("", "%s: effect %q: wants \"NoSchedule\", \"PreferNoSchedule\" or \"NoExecute\"", what, tol.Effect)
	case tol.Key != "" && !validLabelKey(tol.Key):
		t.errorf("", "%s: %q is not a valid taint key", what, tol.Key)
	case tol.Key == "" && tol.Operator != "Exists":
		t.errorf("", "%s: a toleration without a key must have operator \"Exists\"", what)
	case tol.Operator == "Exists" && tol.Value != "":
		t.errorf("", "%s: a toleration with operator \"Exists\" has no value (got %q)", what, tol.Value)
	default:
		if tol.Seconds != nil {
			s := *tol.Seconds
			tol.Seconds = &s
		}
		k.tolerations = append(k.tolerations, k8sToleration{tol: tol})
	}
	return t
}

// AddTolerationJSON adds a toleration given as a dict, or tolerations
// given as a list of dicts, in the Kubernetes form ({"key": ..., "operator":
// ..., "effect": ...}): a Channel (a pipeline parameter or task output) or a
// Go value (add_toleration_json).
func (t *Task) AddTolerationJSON(toleration any) *Task {
	const what = "AddTolerationJSON"
	k := t.kube(what)
	if v, ok := t.k8sJSON(what, toleration, Struct, List); ok {
		k.tolerations = append(k.tolerations, k8sToleration{json: &v})
	}
	return t
}

// AddNodeAffinityJSON adds a node affinity in the Kubernetes form
// ({"requiredDuringSchedulingIgnoredDuringExecution": {...}}): a dict
// Channel or a Go value (add_node_affinity_json).
func (t *Task) AddNodeAffinityJSON(affinity any) *Task {
	const what = "AddNodeAffinityJSON"
	k := t.kube(what)
	if v, ok := t.k8sJSON(what, affinity, Struct); ok {
		k.nodeAffinity = append(k.nodeAffinity, v)
	}
	return t
}

// AddPodLabel puts a label on the task's pod (add_pod_label).
func (t *Task) AddPodLabel(key, value string) *Task {
	const what = "AddPodLabel"
	k := t.kube(what)
	switch {
	case !validLabelKey(key):
		t.errorf("", "%s: %q is not a valid label key", what, key)
	case value != "" && (len(value) > 63 || !k8sLabelName.MatchString(value)):
		t.errorf("", "%s: %q is not a valid label value (letters, digits, '-', '_' and '.', at most 63 characters)", what, value)
	default:
		if k.labels == nil {
			k.labels = map[string]string{}
		}
		k.labels[key] = value
	}
	return t
}

// AddPodAnnotation puts an annotation on the task's pod
// (add_pod_annotation).
func (t *Task) AddPodAnnotation(key, value string) *Task {
	const what = "AddPodAnnotation"
	k := t.kube(what)
	if !validLabelKey(key) {
		t.errorf("", "%s: %q is not a valid annotation key", what, key)
		return t
	}
	if k.annotations == nil {
		k.annotations = map[string]string{}
	}
	k.annotations[key] = value
	return t
}

// SetImagePullSecrets names the secrets the task's image is pulled with
// (set_image_pull_secrets): strings or string Channels; calls add up.
func (t *Task) SetImagePullSecrets(secrets ...any) *Task {
	const what = "SetImagePullSecrets"
	k := t.kube(what)
	if len(secrets) == 0 {
		t.errorf("", "%s: no secret names", what)
	}
	for _, s := range secrets {
		if v, ok := t.k8sName(what, "secret", s); ok {
			k.pullSecrets = append(k.pullSecrets, v)
		}
	}
	return t
}

// SetImagePullPolicy sets when the task's image is pulled
// (set_image_pull_policy): "Always", "IfNotPresent" or "Never".
func (t *Task) SetImagePullPolicy(policy string) *Task {
	const what = "SetImagePullPolicy"
	k := t.kube(what)
	if policy != "Always" && policy != "IfNotPresent" && policy != "Never" {
		t.errorf("", "%s(%q): wants \"Always\", \"IfNotPresent\" or \"Never\"", what, policy)
		return t
	}
	k.pullPolicy = policy
	return t
}

// SetTimeout bounds how long the task's pod may run, in whole seconds
// (set_timeout; the pod's activeDeadlineSeconds). Zero removes the bound.
func (t *Task) SetTimeout(d time.Duration) *Task {
	const what = "SetTimeout"
	k := t.kube(what)
	if d < 0 || d%time.Second != 0 {
		t.errorf("", "%s(%v): wants a whole number of seconds >= 0", what, d)
		return t
	}
	k.deadline = int64(d / time.Second)
	return t
}

// UseFieldPathAsEnv sets an environment variable of the task's container
// to a field of its pod (use_field_path_as_env): "metadata.name",
// "metadata.namespace", "metadata.uid", "metadata.labels['key']",
// "metadata.annotations['key']", "spec.nodeName", "spec.serviceAccountName",
// "status.hostIP", "status.podIP", ...
func (t *Task) UseFieldPathAsEnv(env, fieldPath string) *Task {
	const what = "UseFieldPathAsEnv"
	k := t.kube(what)
	switch {
	case !validEnvName(env):
		t.errorf("", "%s: %q is not a valid environment variable name", what, env)
	case !k8sFieldPathRE.MatchString(fieldPath):
		t.errorf("", "%s(%q, %q): not a pod field an environment variable can hold (metadata.name, metadata.labels['key'], spec.nodeName, status.podIP, ...)", what, env, fieldPath)
	default:
		k.fieldPaths = append(k.fieldPaths, k8sFieldPath{env: env, fieldPath: fieldPath})
	}
	return t
}

// kubeConfig is the task's entry of the platform spec (a
// KubernetesExecutorConfig as JSON), nil when it has no settings. Channels
// are resolved in the task's group, as its inputs are.
func (c *compiler) kubeConfig(t *Task) map[string]any {
	k := t.k8s
	if k == nil {
		if t.def.kubeBase == nil {
			return nil
		}
		k = &k8sSettings{}
	}
	param := func(what string, v k8sValue) (any, bool) {
		if v.ch == nil {
			return map[string]any{"runtimeValue": map[string]any{"constant": v.constant}}, true
		}
		n := len(c.errs)
		r, ok := c.resolve(*v.ch, t.group, t, "")
		if !ok {
			for _, e := range c.errs[n:] {
				e.Msg = what + ": " + e.Msg
			}
			return nil, false
		}
		return c.paramRef(t.group, r, t), true
	}
	// named sets <field>Parameter, and the deprecated <field> for a
	// constant name.
	named := func(entry map[string]any, field, what string, v k8sValue) bool {
		p, ok := param(what, v)
		if !ok {
			return false
		}
		entry[field+"Parameter"] = p
		if v.ch == nil {
			entry[field] = v.constant
		}
		return true
	}
	m := map[string]any{}
	add := func(key string, entry any) { m[key] = append(asList(m[key]), entry) }
	for _, x := range k.secretVolumes {
		e := map[string]any{"mountPath": x.mountPath, "optional": x.optional}
		if named(e, "secretName", "UseSecretAsVolume", x.name) {
			add("secretAsVolume", e)
		}
	}
	for _, x := range k.secretEnv {
		e := map[string]any{"keyToEnv": keyToEnvJSON("secretKey", x.keys), "optional": x.optional}
		if named(e, "secretName", "UseSecretAsEnv", x.name) {
			add("secretAsEnv", e)
		}
	}
	for _, x := range k.pvcs {
		e := map[string]any{"mountPath": x.mountPath}
		if x.subPath != "" {
			e["subPath"] = x.subPath
		}
		p, ok := param("MountPVC", x.name)
		if !ok {
			continue
		}
		e["pvcNameParameter"] = p
		// The deprecated pvc_reference oneof mirrors the parameter.
		switch ip, _ := p.(*spec.InputParameter); {
		case x.name.ch == nil:
			e["constant"] = x.name.constant
		case ip != nil && ip.TaskOutputParameter != nil:
			e["taskOutputParameter"] = ip.TaskOutputParameter
		case ip != nil && ip.ComponentInputParameter != "" && ip.ParameterExpressionSelector == "":
			e["componentInputParameter"] = ip.ComponentInputParameter
		}
		add("pvcMount", e)
	}
	if len(k.nodeSelector) > 0 || k.nodeSelectorJSON != nil {
		ns := map[string]any{}
		if len(k.nodeSelector) > 0 {
			ns["labels"] = k.nodeSelector
		}
		if k.nodeSelectorJSON != nil {
			if p, ok := param("AddNodeSelectorJSON", *k.nodeSelectorJSON); ok {
				ns["nodeSelectorJson"] = p
			}
		}
		m["nodeSelector"] = ns
	}
	if len(k.labels)+len(k.annotations) > 0 {
		pm := map[string]any{}
		if len(k.labels) > 0 {
			pm["labels"] = k.labels
		}
		if len(k.annotations) > 0 {
			pm["annotations"] = k.annotations
		}
		m["podMetadata"] = pm
	}
	for _, x := range k.pullSecrets {
		e := map[string]any{}
		if named(e, "secretName", "SetImagePullSecrets", x) {
			add("imagePullSecret", e)
		}
	}
	if k.pullPolicy != "" {
		m["imagePullPolicy"] = k.pullPolicy
	}
	for _, x := range k.configMapVolumes {
		e := map[string]any{"mountPath": x.mountPath, "optional": x.optional}
		if named(e, "configMapName", "UseConfigMapAsVolume", x.name) {
			add("configMapAsVolume", e)
		}
	}
	for _, x := range k.configMapEnv {
		e := map[string]any{"keyToEnv": keyToEnvJSON("configMapKey", x.keys), "optional": x.optional}
		if named(e, "configMapName", "UseConfigMapAsEnv", x.name) {
			add("configMapAsEnv", e)
		}
	}
	if k.deadline > 0 {
		// int64 fields are strings in protobuf JSON.
		m["activeDeadlineSeconds"] = strconv.FormatInt(k.deadline, 10)
	}
	for _, x := range k.fieldPaths {
		add("fieldPathAsEnv", map[string]any{"name": x.env, "fieldPath": x.fieldPath})
	}
	for _, x := range k.tolerations {
		e := map[string]any{}
		if x.json != nil {
			p, ok := param("AddTolerationJSON", *x.json)
			if !ok {
				continue
			}
			e["tolerationJson"] = p
		} else {
			for f, v := range map[string]string{"key": x.tol.Key, "operator": x.tol.Operator, "value": x.tol.Value, "effect": x.tol.Effect} {
				if v != "" {
					e[f] = v
				}
			}
			if x.tol.Seconds != nil {
				e["tolerationSeconds"] = strconv.FormatInt(*x.tol.Seconds, 10)
			}
		}
		add("tolerations", e)
	}
	for _, x := range k.nodeAffinity {
		if p, ok := param("AddNodeAffinityJSON", x); ok {
			add("nodeAffinity", map[string]any{"nodeAffinityJson": p})
		}
	}
	if sm := k.sharedMemory; sm != nil {
		e := map[string]any{"volumeName": sm.volume}
		if sm.sizeLimit != "" {
			e["size"] = sm.sizeLimit
		}
		m["enabledSharedMemory"] = e
	}
	for _, x := range k.emptyDirs {
		e := map[string]any{"volumeName": x.volume, "mountPath": x.mountPath}
		if x.medium != "" {
			e["medium"] = x.medium
		}
		if x.sizeLimit != "" {
			e["sizeLimit"] = x.sizeLimit
		}
		add("emptyDirMounts", e)
	}
	// The platform spec holds JSON: turn the structs in it into maps.
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	var own map[string]any
	if err := json.Unmarshal(b, &own); err != nil {
		panic(err)
	}
	out := mergeKube(t.def.kubeBase, own)
	if len(out) == 0 {
		return nil
	}
	return out
}

// mergeKube adds a task's own settings to those of the component file it
// runs: lists are joined, the labels of maps merged, other fields replaced.
func mergeKube(base, own map[string]any) map[string]any {
	if base == nil {
		return own
	}
	out := *cloneJSON(&base)
	for k, v := range own {
		switch b := out[k].(type) {
		case []any:
			if l, ok := v.([]any); ok {
				out[k] = append(b, l...)
				continue
			}
		case map[string]any:
			if m, ok := v.(map[string]any); ok {
				for kk, vv := range m {
					bm, ok1 := b[kk].(map[string]any)
					vm, ok2 := vv.(map[string]any)
					if ok1 && ok2 {
						for x, y := range vm {
							bm[x] = y
						}
						continue
					}
					b[kk] = vv
				}
				continue
			}
		}
		out[k] = v
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func keyToEnvJSON(keyField string, keys [][2]string) []any {
	var l []any
	for _, kv := range keys {
		l = append(l, map[string]any{keyField: kv[0], "envVar": kv[1]})
	}
	return l
}

// CreatePVC creates a PersistentVolumeClaim for later tasks to mount with
// [Task.MountPVC] (CreatePVC in kfp-kubernetes); its output "name" is the
// claim's name. Inputs: access_modes (a list: "ReadWriteOnce",
// "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod") and size ("5Gi"),
// and optionally pvc_name, or pvc_name_suffix (the name is then
// "<run>-<suffix>"), storage_class_name ("" by default), volume_name,
// annotations, data_source.
//
// Like KFP's, it is not a program but an operation of the backend: a KFP
// backend performs it; Sluice's executors do not yet, and fail the task.
var CreatePVC = &Container{
	Name:  "CreatePVC",
	Image: "argostub/createpvc",
	Inputs: []Input{
		{Name: "access_modes", Type: List, Description: "The PVC's access modes (PersistentVolumeClaim.spec.accessModes)."},
		{Name: "size", Type: String, Description: "The storage requested, such as '5Gi' (PersistentVolumeClaim.spec.resources.requests.storage)."},
		{Name: "pvc_name", Type: String, Optional: true, Description: "The PVC's name; give it or pvc_name_suffix, not both."},
		{Name: "pvc_name_suffix", Type: String, Optional: true, Description: "A suffix for a generated name, '<run>-<suffix>'; give it or pvc_name, not both."},
		{Name: "storage_class_name", Type: String, Default: "", Description: "The StorageClass to provision the volume from; '' for a statically provisioned PVC."},
		{Name: "volume_name", Type: String, Optional: true, Description: "An existing PersistentVolume to bind (PersistentVolumeClaim.spec.volumeName)."},
		{Name: "annotations", Type: Struct, Optional: true, Description: "Annotations of the PVC (PersistentVolumeClaim.metadata.annotations)."},
		{Name: "data_source", Type: Struct, Optional: true, Description: "A source to fill the PVC from: {'apiGroup': ..., 'kind': ..., 'name': ...}, e.g. a VolumeSnapshot (PersistentVolumeClaim.spec.dataSource)."},
	},
	Outputs: []Output{{Name: "name", Type: String}},
}

// DeletePVC deletes a PersistentVolumeClaim (DeletePVC in kfp-kubernetes):
// input pvc_name, typically the "name" output of a [CreatePVC] task. Run it
// After the tasks that mount the claim. As for CreatePVC, a KFP backend
// performs it; Sluice's executors do not yet.
var DeletePVC = &Container{
	Name:   "DeletePVC",
	Image:  "argostub/deletepvc",
	Inputs: []Input{{Name: "pvc_name", Type: String, Description: "The name of the PVC to delete."}},
}
