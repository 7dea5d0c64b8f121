package kubernetes

import (
	"testing"

	"github.com/sluicehq/sluice/spec"
)

// A KFP v1 workflow's Kubernetes fields reach the pod: the translation
// writes them as kfp-kubernetes platform settings, which this executor
// reads like any other.
func TestKFPv1WorkflowSettingsReachThePod(t *testing.T) {
	p, err := spec.Load([]byte(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: k8s-}
spec:
  entrypoint: step
  imagePullSecrets: [{name: regcred}]
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: shared}}
  templates:
  - name: step
    metadata:
      labels: {team: ml, pipelines.kubeflow.org/kfp_sdk_version: 1.8.22}
      annotations: {note: hi}
    nodeSelector: {disktype: ssd}
    tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}]
    activeDeadlineSeconds: 60
    volumes:
    - {name: creds, secret: {secretName: gcp-sa}}
    container:
      image: trainer:1
      command: [train]
      env:
      - {name: TOKEN, valueFrom: {secretKeyRef: {name: api, key: token}}}
      - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
      volumeMounts:
      - {name: data, mountPath: /data, subPath: x}
      - {name: creds, mountPath: /secret}
      resources: {limits: {cpu: '2', memory: 1Gi, nvidia.com/gpu: '1'}}
`))
	if err != nil {
		t.Fatal(err)
	}
	raw := p.Platform.Platforms["kubernetes"].DeploymentSpec.Executors["exec-step"]
	c, err := ParseExecutorConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Resolve(func(p *spec.InputParameter) (any, error) { return p.RuntimeValue.Constant, nil })
	if err != nil {
		t.Fatal(err)
	}
	if s.NodeSelector["disktype"] != "ssd" || len(s.Tolerations) != 1 || s.Tolerations[0].Key != "gpu" ||
		len(s.ImagePullSecrets) != 1 || s.ImagePullSecrets[0] != "regcred" || *s.ActiveDeadlineSeconds != 60 {
		t.Fatalf("scheduling settings: %+v", s)
	}
	if len(s.PVCMounts) != 1 || s.PVCMounts[0] != (PVCMount{"shared", "/data", "x"}) ||
		len(s.SecretVolumes) != 1 || s.SecretVolumes[0].Name != "gcp-sa" || s.SecretVolumes[0].MountPath != "/secret" {
		t.Fatalf("volumes: %+v %+v", s.PVCMounts, s.SecretVolumes)
	}
	if len(s.SecretEnv) != 1 || s.SecretEnv[0].Name != "api" || s.SecretEnv[0].Keys[0] != (KeyEnv{"token", "TOKEN"}) ||
		len(s.FieldPathEnv) != 1 || s.FieldPathEnv[0].ValueFrom.FieldRef.FieldPath != "metadata.name" {
		t.Fatalf("env: %+v %+v", s.SecretEnv, s.FieldPathEnv)
	}
	if s.Labels["team"] != "ml" || s.Annotations["note"] != "hi" || s.Labels["pipelines.kubeflow.org/kfp_sdk_version"] != "" {
		t.Fatalf("pod metadata: %v %v", s.Labels, s.Annotations)
	}
	ex := p.Spec.DeploymentSpec.Executors["exec-step"]
	if ex.NeedsKubernetes == "" || ex.Unsupported != "" {
		t.Fatalf("needsKubernetes %q, unsupported %q", ex.NeedsKubernetes, ex.Unsupported)
	}
	r := ex.Container.Resources
	if r.ResourceCPULimit != "2" || r.ResourceMemoryLimit != "1Gi" || r.Accelerator.ResourceType != "nvidia.com/gpu" || r.Accelerator.ResourceCount != "1" {
		t.Fatalf("resources: %+v", r)
	}
	pod, err := BuildPod(&Step{RunID: "r", TaskID: "step", Attempt: 1, Image: "trainer:1", Argv: []string{"train"},
		CPULimit: r.ResourceCPULimit, MemoryLimit: r.ResourceMemoryLimit, AcceleratorType: "nvidia.com/gpu", AcceleratorCount: "1", Settings: s}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if pod.Spec.NodeSelector["disktype"] != "ssd" || len(pod.Spec.Volumes) < 3 {
		t.Fatalf("pod: %+v", pod.Spec)
	}
}
