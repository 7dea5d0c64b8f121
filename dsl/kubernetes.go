package dsl

import (
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
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

// kube returns the task's Kubernetes settings, reporting an error if the
// task does not run in a pod of its own.
func (t *Task) kube(what string) *k8sSettings {
	if t.def.exec == nil || t.def.exec.Container == nil {
		kind := "an importer"
		if t.def.exec == nil {
			kind = "a nested pipeline"
		}
		t.errorf("", "%s: only container tasks have Kubernetes settings (this task runs %s)", what, kind)
		return newK8sSettings()
	}
	if t.k8s == nil {
		t.k8s = newK8sSettings()
	}
	return t.k8s
}

func newK8sSettings() *k8sSettings {
	return &k8sSettings{mounts: map[string]string{}, volumes: map[string]string{}}
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

// UseSecretAsEnv sets environment variables of the task's container from
// keys of a Kubernetes secret (use_secret_as_env): keyToEnv maps each key
// of the secret to a variable. The secret's name is a string or a string
// Channel. Option: [Optional].
func (t *Task) UseSecretAsEnv(secret any, keyToEnv map[string]string, opts ...Option) *Task {
	return t.useAsEnv("UseSecretAsEnv", "secret", secret, keyToEnv, opts, func(k *k8sSettings) *[]k8sEnvFrom { return &k.secretEnv })
}

// UseSecretAsVolume mounts a Kubernetes secret at mountPath in the task's
// container, one file per key (use_secret_as_volume). The secret's name is
// a string or a string Channel. Option: [Optional].
func (t *Task) UseSecretAsVolume(secret any, mountPath string, opts ...Option) *Task {
	return t.useAsVolume("UseSecretAsVolume", "secret", secret, mountPath, opts, func(k *k8sSettings) *[]k8sMount { return &k.secretVolumes })
}

// UseConfigMapAsEnv sets environment variables of the task's container
// from keys of a config map (use_config_map_as_env). The config map's name
// is a string or a string Channel. Option: [Optional].
func (t *Task) UseConfigMapAsEnv(configMap any, keyToEnv map[string]string, opts ...Option) *Task {
	return t.useAsEnv("UseConfigMapAsEnv", "config map", configMap, keyToEnv, opts, func(k *k8sSettings) *[]k8sEnvFrom { return &k.configMapEnv })
}

// UseConfigMapAsVolume mounts a config map at mountPath in the task's
// container (use_config_map_as_volume). The config map's name is a string
// or a string Channel. Option: [Optional].
func (t *Task) UseConfigMapAsVolume(configMap any, mountPath string, opts ...Option) *Task {
	return t.useAsVolume("UseConfigMapAsVolume", "config map", configMap, mountPath, opts, func(k *k8sSettings) *[]k8sMount { return &k.configMapVolumes })
}

// useAsEnv is UseSecretAsEnv and UseConfigMapAsEnv: method what, for an
// object of a kind ("secret", "config map") named by ref, adds the setting
// to the list of the task's settings that list picks.
func (t *Task) useAsEnv(what, kind string, ref any, keyToEnv map[string]string, opts []Option, list func(*k8sSettings) *[]k8sEnvFrom) *Task {
	o := t.options(what, opts, "Optional")
	k := t.kube(what)
	name, ok := t.k8sName(what, kind, ref)
	keys, ok2 := t.keyToEnv(what, kind, keyToEnv)
	if ok && ok2 {
		l := list(k)
		*l = append(*l, k8sEnvFrom{name: name, keys: keys, optional: o.optional})
	}
	return t
}

// useAsVolume is UseSecretAsVolume and UseConfigMapAsVolume, as useAsEnv.
func (t *Task) useAsVolume(what, kind string, ref any, mountPath string, opts []Option, list func(*k8sSettings) *[]k8sMount) *Task {
	o := t.options(what, opts, "Optional")
	k := t.kube(what)
	name, ok := t.k8sName(what, kind, ref)
	if ok && t.mountPath(k, what, mountPath, "a "+kind) {
		l := list(k)
		*l = append(*l, k8sMount{name: name, mountPath: mountPath, optional: o.optional})
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
	return t.setLabel("AddNodeSelector", key, value, func(k *k8sSettings) *map[string]string { return &k.nodeSelector })
}

// setLabel is AddNodeSelector and AddPodLabel: method what checks the label
// and sets it in the map of the task's settings that labels picks.
func (t *Task) setLabel(what, key, value string, labels func(*k8sSettings) *map[string]string) *Task {
	k := t.kube(what)
	switch {
	case !validLabelKey(key):
		t.errorf("", "%s: %q is not a valid label key", what, key)
	case value != "" && (len(value) > 63 || !k8sLabelName.MatchString(value)):
		t.errorf("", "%s: %q is not a valid label value (letters, digits, '-', '_' and '.', at most 63 characters)", what, value)
	default:
		m := labels(k)
		if *m == nil {
			*m = map[string]string{}
		}
		(*m)[key] = value
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
	return t.setLabel("AddPodLabel", key, value, func(k *k8sSettings) *map[string]string { return &k.labels })
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
