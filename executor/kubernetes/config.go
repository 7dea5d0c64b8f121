package kubernetes

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/spec"
)

// ExecutorConfig is one executor's entry of the kubernetes platform spec
// (platforms.kubernetes.deploymentSpec.executors[label]) as kfp-kubernetes
// writes it. Fields named *Parameter or *Json are task input parameter
// specs, resolved like the task's inputs (see Resolve).
type ExecutorConfig struct {
	SecretAsVolume []struct {
		SecretName          string               `json:"secretName,omitempty"` // deprecated constant form
		SecretNameParameter *spec.InputParameter `json:"secretNameParameter,omitempty"`
		MountPath           string               `json:"mountPath"`
		Optional            *bool                `json:"optional,omitempty"`
	} `json:"secretAsVolume,omitempty"`
	SecretAsEnv []struct {
		SecretName          string               `json:"secretName,omitempty"`
		SecretNameParameter *spec.InputParameter `json:"secretNameParameter,omitempty"`
		KeyToEnv            []struct {
			SecretKey string `json:"secretKey"`
			EnvVar    string `json:"envVar"`
		} `json:"keyToEnv,omitempty"`
		Optional *bool `json:"optional,omitempty"`
	} `json:"secretAsEnv,omitempty"`
	ConfigMapAsVolume []struct {
		ConfigMapName          string               `json:"configMapName,omitempty"`
		ConfigMapNameParameter *spec.InputParameter `json:"configMapNameParameter,omitempty"`
		MountPath              string               `json:"mountPath"`
		Optional               *bool                `json:"optional,omitempty"`
	} `json:"configMapAsVolume,omitempty"`
	ConfigMapAsEnv []struct {
		ConfigMapName          string               `json:"configMapName,omitempty"`
		ConfigMapNameParameter *spec.InputParameter `json:"configMapNameParameter,omitempty"`
		KeyToEnv               []struct {
			ConfigMapKey string `json:"configMapKey"`
			EnvVar       string `json:"envVar"`
		} `json:"keyToEnv,omitempty"`
		Optional *bool `json:"optional,omitempty"`
	} `json:"configMapAsEnv,omitempty"`
	PVCMount []struct {
		Constant         string               `json:"constant,omitempty"` // deprecated oneof
		PVCNameParameter *spec.InputParameter `json:"pvcNameParameter,omitempty"`
		MountPath        string               `json:"mountPath"`
		SubPath          string               `json:"subPath,omitempty"`
	} `json:"pvcMount,omitempty"`
	NodeSelector *struct {
		Labels           map[string]string    `json:"labels,omitempty"`
		NodeSelectorJSON *spec.InputParameter `json:"nodeSelectorJson,omitempty"`
	} `json:"nodeSelector,omitempty"`
	PodMetadata *struct {
		Labels      map[string]string `json:"labels,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
	} `json:"podMetadata,omitempty"`
	ImagePullSecret []struct {
		SecretName          string               `json:"secretName,omitempty"`
		SecretNameParameter *spec.InputParameter `json:"secretNameParameter,omitempty"`
	} `json:"imagePullSecret,omitempty"`
	ImagePullPolicy       string `json:"imagePullPolicy,omitempty"`
	ActiveDeadlineSeconds any    `json:"activeDeadlineSeconds,omitempty"` // int64: number or string
	FieldPathAsEnv        []struct {
		Name      string `json:"name"`
		FieldPath string `json:"fieldPath"`
	} `json:"fieldPathAsEnv,omitempty"`
	Tolerations []struct {
		Key               string               `json:"key,omitempty"`
		Operator          string               `json:"operator,omitempty"`
		Value             string               `json:"value,omitempty"`
		Effect            string               `json:"effect,omitempty"`
		TolerationSeconds any                  `json:"tolerationSeconds,omitempty"`
		TolerationJSON    *spec.InputParameter `json:"tolerationJson,omitempty"`
	} `json:"tolerations,omitempty"`
	NodeAffinity []struct {
		NodeAffinityJSON *spec.InputParameter `json:"nodeAffinityJson,omitempty"`
	} `json:"nodeAffinity,omitempty"`
	EmptyDirMounts []struct {
		VolumeName string `json:"volumeName"`
		MountPath  string `json:"mountPath"`
		Medium     string `json:"medium,omitempty"`
		SizeLimit  string `json:"sizeLimit,omitempty"`
	} `json:"emptyDirMounts,omitempty"`
	EnabledSharedMemory *struct {
		VolumeName string `json:"volumeName,omitempty"`
		Size       string `json:"size,omitempty"`
	} `json:"enabledSharedMemory,omitempty"`
	SecurityContext *struct {
		RunAsUser    *protoInt64 `json:"runAsUser,omitempty"`
		RunAsGroup   *protoInt64 `json:"runAsGroup,omitempty"`
		RunAsNonRoot *bool       `json:"runAsNonRoot,omitempty"`
	} `json:"securityContext,omitempty"`
}

// protoInt64 is a protobuf int64 as JSON: the KFP compiler writes it as a
// string ('65534'); a number is accepted too.
type protoInt64 int64

func (n *protoInt64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not an integer", b)
	}
	*n = protoInt64(v)
	return nil
}

func (n *protoInt64) int64() *int64 {
	if n == nil {
		return nil
	}
	v := int64(*n)
	return &v
}

// ParseExecutorConfig decodes an executor's entry of the platform spec.
func ParseExecutorConfig(raw map[string]any) (*ExecutorConfig, error) {
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	var c ExecutorConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("kubernetes executor config: %v", err)
	}
	return &c, nil
}

// Resolver gives the value of a task input parameter spec, resolved in
// the task's parent DAG; a missing optional input resolves to nil.
type Resolver func(p *spec.InputParameter) (any, error)
