package kubernetes

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/sluicehq/sluice/launch"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Labels and annotations Sluice puts on its pods.
const (
	LabelManagedBy  = "app.kubernetes.io/managed-by"
	ManagedBy       = "sluice"
	LabelRun        = "sluice.dev/run-id"
	LabelTask       = "sluice.dev/task" // a hash of the task id: label values are short
	LabelAttempt    = "sluice.dev/attempt"
	AnnotationTask  = "sluice.dev/task-id"
	AnnotationImage = "sluice.dev/image"

	// launcherDir is where the init container puts the launcher binary
	// (launch.BinaryName).
	launcherDir = "/sluice"
	// ContainerName is the step's container.
	ContainerName = "main"
)

// Step is one attempt of one container task, ready to become a pod.
type Step struct {
	RunID, TaskID string
	Attempt       int
	Image         string
	// Argv is the step's command line, run by the launcher inside the pod.
	Argv []string
	// Env holds the step's variables, "NAME=value".
	Env []string
	// Resources holds the resolved KFP resource strings (k8s quantities).
	CPURequest, CPULimit, MemoryRequest, MemoryLimit string
	// AcceleratorType is the resource name (e.g. nvidia.com/gpu) and
	// AcceleratorCount how many.
	AcceleratorType  string
	AcceleratorCount string
	// Settings are the step's kubernetes platform settings (may be nil).
	Settings *Settings
	// Direct runs Argv as the container's command, without the launcher
	// (no artifacts to stage: a plain job).
	Direct bool
}

// PodOptions are the cluster-wide settings of the executor.
type PodOptions struct {
	Namespace string
	// LauncherImage holds the launcher binary at /sluice-launch
	// (launch.BinaryName); an init container copies it into the pod.
	LauncherImage string
	// LauncherHostPath, when set, is a directory on every node holding the
	// launcher binary (DIR/sluice-launch). Pods mount it read-only and need
	// no init container: one container start less per step. The binary must be the
	// server's own version (the launch description's protocol is checked).
	LauncherHostPath string
	// ServiceAccount runs the step pods (default: the namespace's default).
	ServiceAccount string
	// ImagePullPolicy for step and launcher images when a step does not
	// set one.
	ImagePullPolicy corev1.PullPolicy
	// EnvFromSecret names a secret whose keys become the launcher's
	// environment (artifact store credentials such as AWS_ACCESS_KEY_ID).
	EnvFromSecret string
	// HostNetwork runs step pods in the node's network namespace (for
	// single-node test clusters whose object store listens on loopback).
	HostNetwork bool
	// LaunchEnv are variables the launcher needs (artifact store URL, the
	// task's launch description), "NAME=value".
	LaunchEnv []string
}

var invalidName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^a-z0-9-]+`) })

// PodName is a DNS-1123 name unique to the run, task and attempt:
// sluice-<run>-<task words>-<hash>-<attempt>, at most 63 characters.
func PodName(runID, taskID string, attempt int) string {
	h := sha256.Sum256([]byte(runID + "\x00" + taskID))
	hash := hex.EncodeToString(h[:])[:8]
	run := invalidName().ReplaceAllString(strings.ToLower(runID), "")
	if len(run) > 8 {
		run = run[:8]
	}
	words := strings.Trim(invalidName().ReplaceAllString(strings.ToLower(taskID), "-"), "-")
	suffix := "-" + hash + "-" + strconv.Itoa(attempt)
	prefix := "sluice-" + run + "-"
	if max := 63 - len(prefix) - len(suffix); len(words) > max {
		words = strings.TrimRight(words[:max], "-")
	}
	return prefix + words + suffix
}

// TaskLabel is the value of LabelTask for a task id.
func TaskLabel(runID, taskID string) string {
	h := sha256.Sum256([]byte(runID + "\x00" + taskID))
	return hex.EncodeToString(h[:])[:16]
}

// BuildPod builds a step's pod. It is pure: the same step and options give
// the same pod.
func BuildPod(s *Step, o PodOptions) (*corev1.Pod, error) {
	if len(s.Argv) == 0 {
		return nil, fmt.Errorf("task %s: empty command line", s.TaskID)
	}
	if o.LauncherImage == "" && o.LauncherHostPath == "" && !s.Direct {
		return nil, fmt.Errorf("no launcher image or host path")
	}
	set := s.Settings
	if set == nil {
		set = &Settings{}
	}
	pull := o.ImagePullPolicy
	if set.ImagePullPolicy != "" {
		pull = set.ImagePullPolicy
	}
	labels := map[string]string{}
	for k, v := range set.Labels {
		labels[k] = v
	}
	labels[LabelManagedBy] = ManagedBy
	labels[LabelRun] = labelValue(s.RunID)
	labels[LabelTask] = TaskLabel(s.RunID, s.TaskID)
	labels[LabelAttempt] = strconv.Itoa(s.Attempt)
	annotations := map[string]string{}
	for k, v := range set.Annotations {
		annotations[k] = v
	}
	annotations[AnnotationTask] = s.TaskID
	annotations[LabelRun] = s.RunID

	res, err := resources(s)
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", s.TaskID, err)
	}
	env := []corev1.EnvVar{}
	for _, kv := range s.Env {
		k, v, _ := strings.Cut(kv, "=")
		env = append(env, corev1.EnvVar{Name: k, Value: v})
	}
	for _, e := range set.SecretEnv {
		for _, k := range e.Keys {
			env = append(env, corev1.EnvVar{Name: k.Env, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: e.Name}, Key: k.Key, Optional: boolPtr(e.Optional)}}})
		}
	}
	for _, e := range set.ConfigMapEnv {
		for _, k := range e.Keys {
			env = append(env, corev1.EnvVar{Name: k.Env, ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: e.Name}, Key: k.Key, Optional: boolPtr(e.Optional)}}})
		}
	}
	env = append(env, set.FieldPathEnv...)
	for _, kv := range o.LaunchEnv {
		k, v, _ := strings.Cut(kv, "=")
		env = append(env, corev1.EnvVar{Name: k, Value: v})
	}
	var envFrom []corev1.EnvFromSource
	if o.EnvFromSecret != "" {
		envFrom = append(envFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: o.EnvFromSecret}}})
	}

	launcherVolume := corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
	if o.LauncherHostPath != "" {
		launcherVolume = corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: o.LauncherHostPath, Type: hostPathType(corev1.HostPathDirectory)}}
	}
	volumes := []corev1.Volume{{Name: "sluice-launcher", VolumeSource: launcherVolume}}
	mounts := []corev1.VolumeMount{{Name: "sluice-launcher", MountPath: launcherDir, ReadOnly: o.LauncherHostPath != ""}}
	for i, m := range set.SecretVolumes {
		name := fmt.Sprintf("secret-%d", i)
		volumes = append(volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: m.Name, Optional: boolPtr(m.Optional)}}})
		mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: m.MountPath, ReadOnly: true})
	}
	for i, m := range set.ConfigMapVolumes {
		name := fmt.Sprintf("configmap-%d", i)
		volumes = append(volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: m.Name}, Optional: boolPtr(m.Optional)}}})
		mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: m.MountPath, ReadOnly: true})
	}
	for i, m := range set.PVCMounts {
		name := fmt.Sprintf("pvc-%d", i)
		volumes = append(volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: m.Claim}}})
		mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: m.MountPath, SubPath: m.SubPath})
	}
	for _, d := range set.EmptyDirs {
		ed := &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMedium(d.Medium)}
		if d.SizeLimit != "" {
			q, err := resource.ParseQuantity(d.SizeLimit)
			if err != nil {
				return nil, fmt.Errorf("task %s: emptyDir %s size %q: %v", s.TaskID, d.Volume, d.SizeLimit, err)
			}
			ed.SizeLimit = &q
		}
		volumes = append(volumes, corev1.Volume{Name: d.Volume, VolumeSource: corev1.VolumeSource{EmptyDir: ed}})
		mounts = append(mounts, corev1.VolumeMount{Name: d.Volume, MountPath: d.MountPath})
	}

	var pullSecrets []corev1.LocalObjectReference
	for _, n := range set.ImagePullSecrets {
		pullSecrets = append(pullSecrets, corev1.LocalObjectReference{Name: n})
	}
	var affinity *corev1.Affinity
	if set.NodeAffinity != nil {
		affinity = &corev1.Affinity{NodeAffinity: set.NodeAffinity}
	}
	command := append([]string{launcherDir + "/" + launch.BinaryName, "--"}, s.Argv...)
	initContainers := []corev1.Container{{
		Name: "sluice-launcher", Image: o.LauncherImage, ImagePullPolicy: o.ImagePullPolicy,
		// The launcher image has /sluice (the full binary) and
		// /sluice-launch: the shared volume goes elsewhere there.
		Command:      []string{"/" + launch.BinaryName, "install", "/sluice-bin/" + launch.BinaryName},
		VolumeMounts: []corev1.VolumeMount{{Name: "sluice-launcher", MountPath: "/sluice-bin"}},
	}}
	if o.LauncherHostPath != "" {
		initContainers = nil
	}
	if s.Direct {
		command, initContainers = s.Argv, nil
		volumes, mounts = volumes[1:], mounts[1:]
		// The launcher's variables are of no use to a plain command.
		env = env[:len(env)-len(o.LaunchEnv)]
		envFrom = nil
	}
	pod := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name: PodName(s.RunID, s.TaskID, s.Attempt), Namespace: o.Namespace,
			Labels: labels, Annotations: annotations,
		},
		Spec: corev1.PodSpec{
			RestartPolicy:         corev1.RestartPolicyNever,
			HostNetwork:           o.HostNetwork,
			ServiceAccountName:    o.ServiceAccount,
			ActiveDeadlineSeconds: set.ActiveDeadlineSeconds,
			NodeSelector:          set.NodeSelector,
			Tolerations:           set.Tolerations,
			Affinity:              affinity,
			ImagePullSecrets:      pullSecrets,
			// The launcher uploads what the step wrote; give it time
			// after a cancel before the kubelet kills it.
			TerminationGracePeriodSeconds: int64Ptr(10),
			InitContainers:                initContainers,
			Containers: []corev1.Container{{
				Name: ContainerName, Image: s.Image, ImagePullPolicy: pull,
				Command: command, Env: env, EnvFrom: envFrom, Resources: res,
				VolumeMounts: mounts, SecurityContext: set.SecurityContext,
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			}},
			Volumes: volumes,
		},
	}
	return pod, nil
}

// resources converts KFP's resource strings to requests and limits.
func resources(s *Step) (corev1.ResourceRequirements, error) {
	var rr corev1.ResourceRequirements
	add := func(list *corev1.ResourceList, name corev1.ResourceName, v string) error {
		if v == "" {
			return nil
		}
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return fmt.Errorf("%s %q: %v", name, v, err)
		}
		if *list == nil {
			*list = corev1.ResourceList{}
		}
		(*list)[name] = q
		return nil
	}
	for _, x := range []struct {
		list *corev1.ResourceList
		name corev1.ResourceName
		v    string
	}{
		{&rr.Requests, corev1.ResourceCPU, s.CPURequest},
		{&rr.Limits, corev1.ResourceCPU, s.CPULimit},
		{&rr.Requests, corev1.ResourceMemory, s.MemoryRequest},
		{&rr.Limits, corev1.ResourceMemory, s.MemoryLimit},
	} {
		if err := add(x.list, x.name, x.v); err != nil {
			return rr, err
		}
	}
	if s.AcceleratorType != "" {
		count := s.AcceleratorCount
		if count == "" {
			count = "1"
		}
		// Extended resources are set as limits (requests default to them).
		if err := add(&rr.Limits, corev1.ResourceName(s.AcceleratorType), count); err != nil {
			return rr, err
		}
	}
	return rr, nil
}

// labelValue makes a string a valid label value (≤ 63 characters of
// [A-Za-z0-9._-], starting and ending alphanumeric).
func labelValue(v string) string {
	b := []byte(v)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '-'
		}
	}
	v = string(b)
	if len(v) > 63 {
		v = v[:63]
	}
	return strings.Trim(v, "-_.")
}

func boolPtr(b bool) *bool {
	if !b {
		return nil
	}
	return &b
}

func int64Ptr(n int64) *int64 { return &n }

func hostPathType(t corev1.HostPathType) *corev1.HostPathType { return &t }
