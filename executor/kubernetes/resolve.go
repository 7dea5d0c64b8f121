package kubernetes

import (
	"encoding/json"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/sluicehq/sluice/spec"
)

// Settings is an ExecutorConfig with every parameter resolved: what the pod
// is built from.
type Settings struct {
	SecretVolumes    []NamedMount
	SecretEnv        []NamedEnv
	ConfigMapVolumes []NamedMount
	ConfigMapEnv     []NamedEnv
	PVCMounts        []PVCMount
	NodeSelector     map[string]string
	Labels           map[string]string
	Annotations      map[string]string
	ImagePullSecrets []string
	ImagePullPolicy  corev1.PullPolicy
	// ActiveDeadlineSeconds bounds the pod's run time (nil: none).
	ActiveDeadlineSeconds *int64
	FieldPathEnv          []corev1.EnvVar
	Tolerations           []corev1.Toleration
	NodeAffinity          *corev1.NodeAffinity
	EmptyDirs             []EmptyDir
	SecurityContext       *corev1.SecurityContext
}

// NamedMount mounts a secret or config map.
type NamedMount struct {
	Name, MountPath string
	Optional        bool
}

// NamedEnv sets environment variables from keys of a secret or config map.
type NamedEnv struct {
	Name     string
	Keys     []KeyEnv
	Optional bool
}

// KeyEnv maps one key to one variable.
type KeyEnv struct{ Key, Env string }

// PVCMount mounts a PersistentVolumeClaim.
type PVCMount struct{ Claim, MountPath, SubPath string }

// EmptyDir mounts an emptyDir volume (shared memory is one with medium
// Memory at /dev/shm).
type EmptyDir struct {
	Volume, MountPath, Medium, SizeLimit string
}

// Resolve resolves the config's parameters with r. An entry marked optional
// whose name resolves to nothing is left out (KFP does the same); a
// required one is an error naming the field.
func (c *ExecutorConfig) Resolve(r Resolver) (*Settings, error) {
	s := &Settings{ImagePullPolicy: corev1.PullPolicy(c.ImagePullPolicy)}
	name := func(field, constant string, p *spec.InputParameter, optional bool) (string, bool, error) {
		if p == nil {
			if constant == "" && !optional {
				return "", false, fmt.Errorf("%s: no name", field)
			}
			return constant, constant != "", nil
		}
		v, err := r(p)
		if err != nil {
			return "", false, fmt.Errorf("%s: %w", field, err)
		}
		str, isStr := v.(string)
		if v != nil && !isStr {
			return "", false, fmt.Errorf("%s: want a string, got %v", field, v)
		}
		if str == "" {
			if optional {
				return "", false, nil
			}
			return "", false, fmt.Errorf("%s: the name has no value", field)
		}
		return str, true, nil
	}
	opt := func(b *bool) bool { return b != nil && *b }
	for i, x := range c.SecretAsVolume {
		n, ok, err := name(fmt.Sprintf("secretAsVolume[%d].secretNameParameter", i), x.SecretName, x.SecretNameParameter, opt(x.Optional))
		if err != nil {
			return nil, err
		}
		if ok {
			s.SecretVolumes = append(s.SecretVolumes, NamedMount{n, x.MountPath, opt(x.Optional)})
		}
	}
	for i, x := range c.SecretAsEnv {
		n, ok, err := name(fmt.Sprintf("secretAsEnv[%d].secretNameParameter", i), x.SecretName, x.SecretNameParameter, opt(x.Optional))
		if err != nil {
			return nil, err
		}
		if ok {
			e := NamedEnv{Name: n, Optional: opt(x.Optional)}
			for _, k := range x.KeyToEnv {
				e.Keys = append(e.Keys, KeyEnv{k.SecretKey, k.EnvVar})
			}
			s.SecretEnv = append(s.SecretEnv, e)
		}
	}
	for i, x := range c.ConfigMapAsVolume {
		n, ok, err := name(fmt.Sprintf("configMapAsVolume[%d].configMapNameParameter", i), x.ConfigMapName, x.ConfigMapNameParameter, opt(x.Optional))
		if err != nil {
			return nil, err
		}
		if ok {
			s.ConfigMapVolumes = append(s.ConfigMapVolumes, NamedMount{n, x.MountPath, opt(x.Optional)})
		}
	}
	for i, x := range c.ConfigMapAsEnv {
		n, ok, err := name(fmt.Sprintf("configMapAsEnv[%d].configMapNameParameter", i), x.ConfigMapName, x.ConfigMapNameParameter, opt(x.Optional))
		if err != nil {
			return nil, err
		}
		if ok {
			e := NamedEnv{Name: n, Optional: opt(x.Optional)}
			for _, k := range x.KeyToEnv {
				e.Keys = append(e.Keys, KeyEnv{k.ConfigMapKey, k.EnvVar})
			}
			s.ConfigMapEnv = append(s.ConfigMapEnv, e)
		}
	}
	for i, x := range c.PVCMount {
		n, _, err := name(fmt.Sprintf("pvcMount[%d].pvcNameParameter", i), x.Constant, x.PVCNameParameter, false)
		if err != nil {
			return nil, err
		}
		s.PVCMounts = append(s.PVCMounts, PVCMount{n, x.MountPath, x.SubPath})
	}
	if ns := c.NodeSelector; ns != nil {
		s.NodeSelector = map[string]string{}
		for k, v := range ns.Labels {
			s.NodeSelector[k] = v
		}
		if ns.NodeSelectorJSON != nil {
			var m map[string]string
			if err := resolveJSON(r, ns.NodeSelectorJSON, "nodeSelector.nodeSelectorJson", &m); err != nil {
				return nil, err
			}
			for k, v := range m {
				s.NodeSelector[k] = v
			}
		}
		if len(s.NodeSelector) == 0 {
			s.NodeSelector = nil
		}
	}
	if pm := c.PodMetadata; pm != nil {
		s.Labels, s.Annotations = pm.Labels, pm.Annotations
	}
	for i, x := range c.ImagePullSecret {
		n, ok, err := name(fmt.Sprintf("imagePullSecret[%d].secretNameParameter", i), x.SecretName, x.SecretNameParameter, true)
		if err != nil {
			return nil, err
		}
		if ok {
			s.ImagePullSecrets = append(s.ImagePullSecrets, n)
		}
	}
	if c.ActiveDeadlineSeconds != nil {
		n, err := int64Of(c.ActiveDeadlineSeconds)
		if err != nil {
			return nil, fmt.Errorf("activeDeadlineSeconds: %v", err)
		}
		if n > 0 {
			s.ActiveDeadlineSeconds = &n
		}
	}
	for _, f := range c.FieldPathAsEnv {
		s.FieldPathEnv = append(s.FieldPathEnv, corev1.EnvVar{Name: f.Name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: f.FieldPath}}})
	}
	for i, x := range c.Tolerations {
		if x.TolerationJSON != nil {
			var ts []corev1.Toleration
			field := fmt.Sprintf("tolerations[%d].tolerationJson", i)
			v, err := r(x.TolerationJSON)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", field, err)
			}
			if v == nil {
				continue
			}
			if _, isList := v.([]any); !isList {
				v = []any{v}
			}
			if err := convert(v, &ts); err != nil {
				return nil, fmt.Errorf("%s: %v", field, err)
			}
			s.Tolerations = append(s.Tolerations, ts...)
			continue
		}
		t := corev1.Toleration{Key: x.Key, Operator: corev1.TolerationOperator(x.Operator), Value: x.Value, Effect: corev1.TaintEffect(x.Effect)}
		if x.TolerationSeconds != nil {
			n, err := int64Of(x.TolerationSeconds)
			if err != nil {
				return nil, fmt.Errorf("tolerations[%d].tolerationSeconds: %v", i, err)
			}
			t.TolerationSeconds = &n
		}
		s.Tolerations = append(s.Tolerations, t)
	}
	for i, x := range c.NodeAffinity {
		if x.NodeAffinityJSON == nil {
			continue
		}
		var na corev1.NodeAffinity
		if err := resolveJSON(r, x.NodeAffinityJSON, fmt.Sprintf("nodeAffinity[%d].nodeAffinityJson", i), &na); err != nil {
			return nil, err
		}
		if na.RequiredDuringSchedulingIgnoredDuringExecution == nil && len(na.PreferredDuringSchedulingIgnoredDuringExecution) == 0 {
			continue
		}
		if s.NodeAffinity == nil {
			s.NodeAffinity = &corev1.NodeAffinity{}
		}
		if req := na.RequiredDuringSchedulingIgnoredDuringExecution; req != nil {
			if s.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
				s.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{}
			}
			dst := s.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
			dst.NodeSelectorTerms = append(dst.NodeSelectorTerms, req.NodeSelectorTerms...)
		}
		s.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(s.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution, na.PreferredDuringSchedulingIgnoredDuringExecution...)
	}
	for _, x := range c.EmptyDirMounts {
		s.EmptyDirs = append(s.EmptyDirs, EmptyDir{x.VolumeName, x.MountPath, x.Medium, x.SizeLimit})
	}
	if sm := c.EnabledSharedMemory; sm != nil {
		vol := sm.VolumeName
		if vol == "" {
			vol = "shm"
		}
		s.EmptyDirs = append(s.EmptyDirs, EmptyDir{vol, "/dev/shm", "Memory", sm.Size})
	}
	if sc := c.SecurityContext; sc != nil {
		s.SecurityContext = &corev1.SecurityContext{RunAsUser: sc.RunAsUser.int64(), RunAsGroup: sc.RunAsGroup.int64(), RunAsNonRoot: sc.RunAsNonRoot}
	}
	return s, nil
}

// resolveJSON resolves a *Json parameter (a struct value, or a JSON string)
// into dst; nil leaves dst alone.
func resolveJSON(r Resolver, p *spec.InputParameter, field string, dst any) error {
	v, err := r(p)
	if err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	if v == nil {
		return nil
	}
	if err := convert(v, dst); err != nil {
		return fmt.Errorf("%s: %v", field, err)
	}
	return nil
}

func convert(v any, dst any) error {
	var b []byte
	if s, ok := v.(string); ok {
		b = []byte(s)
	} else {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return err
		}
	}
	return json.Unmarshal(b, dst)
}

func int64Of(v any) (int64, error) {
	switch x := v.(type) {
	case float64:
		return int64(x), nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	case json.Number:
		return x.Int64()
	}
	return 0, fmt.Errorf("want an integer, got %v", v)
}
