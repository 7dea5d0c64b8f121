package kubernetes

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sluicehq/sluice/spec"
)

var update = flag.Bool("update", false, "rewrite the golden pod files")

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./executor/kubernetes -update to accept):\n%s", path, got)
	}
}

var opts = PodOptions{
	Namespace: "pipelines", LauncherImage: "sluice:dev", ServiceAccount: "sluice-steps",
	ImagePullPolicy: "IfNotPresent", EnvFromSecret: "sluice-artifacts",
	LaunchEnv: []string{"SLUICE_ARTIFACTS=s3://bucket/prefix?endpoint=http://seaweedfs:8333", `SLUICE_LAUNCH={"task":"train"}`},
}

func TestPlainStepPod(t *testing.T) {
	pod, err := BuildPod(&Step{
		RunID: "0d1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7", TaskID: "train", Attempt: 1,
		Image: "python:3.11", Argv: []string{"sh", "-c", "python3 train.py", "--epochs", "3"},
		Env:        []string{"MODE=fast", "EMPTY="},
		CPURequest: "500m", CPULimit: "2", MemoryRequest: "1Gi", MemoryLimit: "4Gi",
		AcceleratorType: "nvidia.com/gpu", AcceleratorCount: "1",
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "plain", pod)
}

// With a launcher directory on the nodes, the pod mounts it read-only and
// has no init container.
func TestHostPathLauncherPod(t *testing.T) {
	o := opts
	o.LauncherImage, o.LauncherHostPath = "", "/var/lib/sluice/bin"
	pod, err := BuildPod(&Step{RunID: "0d1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7", TaskID: "train", Attempt: 1,
		Image: "python:3.11", Argv: []string{"python3", "train.py"}}, o)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "host-path-launcher", pod)
	if len(pod.Spec.InitContainers) != 0 {
		t.Errorf("init containers %v", pod.Spec.InitContainers)
	}
	o.LauncherHostPath = ""
	if _, err := BuildPod(&Step{RunID: "r", TaskID: "t", Attempt: 1, Image: "i", Argv: []string{"x"}}, o); err == nil {
		t.Error("no launcher image nor host path: no error")
	}
}

// executorConfig is the platform spec entry of one executor in a compiled
// pipeline (YAML, as kfp-kubernetes writes it).
func executorConfig(t *testing.T, y string) *ExecutorConfig {
	t.Helper()
	var raw map[string]any
	if err := yaml.Unmarshal([]byte(y), &raw); err != nil {
		t.Fatal(err)
	}
	c, err := ParseExecutorConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// params resolves componentInputParameter and runtimeValue constants.
func params(values map[string]any) Resolver {
	return func(p *spec.InputParameter) (any, error) {
		if p.RuntimeValue != nil {
			return p.RuntimeValue.Constant, nil
		}
		return values[p.ComponentInputParameter], nil
	}
}

const everything = `
secretAsEnv:
- keyToEnv: [{secretKey: password, envVar: PASSWORD}, {secretKey: user, envVar: USER}]
  optional: false
  secretNameParameter: {runtimeValue: {constant: db-credentials}}
secretAsVolume:
- mountPath: /mnt/secret
  optional: true
  secretNameParameter: {componentInputParameter: secret_name}
configMapAsEnv:
- configMapNameParameter: {componentInputParameter: config_name}
  keyToEnv: [{configMapKey: setting, envVar: SETTING}]
configMapAsVolume:
- configMapName: static-config
  mountPath: /mnt/config
pvcMount:
- constant: data-pvc
  mountPath: /data
  pvcNameParameter: {runtimeValue: {constant: data-pvc}}
  subPath: train
nodeSelector:
  labels: {disktype: ssd}
  nodeSelectorJson: {componentInputParameter: selector}
podMetadata:
  labels: {team: ml}
  annotations: {owner: ada}
imagePullSecret:
- secretNameParameter: {runtimeValue: {constant: registry-creds}}
imagePullPolicy: Always
activeDeadlineSeconds: '3600'
fieldPathAsEnv:
- {name: POD_NAME, fieldPath: metadata.name}
tolerations:
- {effect: NoSchedule, key: nvidia.com/gpu, operator: Exists}
- tolerationJson: {componentInputParameter: tolerations}
nodeAffinity:
- nodeAffinityJson: {componentInputParameter: affinity}
emptyDirMounts:
- {volumeName: scratch, mountPath: /scratch, sizeLimit: 1Gi}
enabledSharedMemory: {size: 512Mi}
securityContext: {runAsUser: 1000, runAsNonRoot: true}
`

func TestPlatformSettingsPod(t *testing.T) {
	c := executorConfig(t, everything)
	s, err := c.Resolve(params(map[string]any{
		"secret_name": "tls-cert",
		"config_name": "app-config",
		"selector":    `{"zone": "eu-1"}`,
		"tolerations": []any{map[string]any{"key": "spot", "operator": "Equal", "value": "true", "effect": "NoExecute", "tolerationSeconds": 60.0}},
		"affinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{"nodeSelectorTerms": []any{
			map[string]any{"matchExpressions": []any{map[string]any{"key": "arch", "operator": "In", "values": []any{"amd64"}}}}}}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	pod, err := BuildPod(&Step{RunID: "run-1", TaskID: "for-loop-2/0/train", Attempt: 2, Image: "trainer:1", Argv: []string{"train"}, Settings: s}, opts)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "platform", pod)
}

// Optional names that resolve to nothing leave their entry out, as in the
// KFP-compiled missing_kubernetes_optional_inputs.yaml.
func TestMissingOptionalInputs(t *testing.T) {
	c := executorConfig(t, `
configMapAsEnv:
- configMapNameParameter: {componentInputParameter: optional_config_map_name}
  keyToEnv: [{configMapKey: setting, envVar: SETTING}]
  optional: true
configMapAsVolume:
- configMapNameParameter: {componentInputParameter: optional_config_map_name}
  mountPath: /mnt/config
  optional: true
imagePullSecret:
- secretNameParameter: {componentInputParameter: optional_image_pull_secret_name}
nodeAffinity:
- nodeAffinityJson: {componentInputParameter: optional_affinity}
nodeSelector:
  nodeSelectorJson: {componentInputParameter: optional_selector}
secretAsEnv:
- keyToEnv: [{envVar: PASSWORD, secretKey: password}]
  optional: true
  secretNameParameter: {componentInputParameter: optional_secret_name}
secretAsVolume:
- mountPath: /mnt/secret
  optional: true
  secretNameParameter: {componentInputParameter: optional_secret_name}
tolerations:
- tolerationJson: {componentInputParameter: optional_tolerations}
`)
	s, err := c.Resolve(params(nil))
	if err != nil {
		t.Fatal(err)
	}
	pod, err := BuildPod(&Step{RunID: "r", TaskID: "log-message", Attempt: 1, Image: "busybox", Argv: []string{"echo", "hi"}, Settings: s}, opts)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "optional-missing", pod)
}

func TestResolveErrors(t *testing.T) {
	for _, tc := range []struct{ config, err string }{
		{"secretAsEnv: [{secretNameParameter: {componentInputParameter: x}, keyToEnv: [{secretKey: a, envVar: A}]}]", "secretAsEnv[0].secretNameParameter: the name has no value"},
		{"secretAsVolume: [{secretNameParameter: {componentInputParameter: n}, mountPath: /m}]", "secretAsVolume[0].secretNameParameter: want a string, got 3"},
		{"pvcMount: [{pvcNameParameter: {componentInputParameter: x}, mountPath: /d}]", "pvcMount[0].pvcNameParameter: the name has no value"},
		{"nodeSelector: {nodeSelectorJson: {componentInputParameter: bad}}", "nodeSelector.nodeSelectorJson: "},
		{"activeDeadlineSeconds: soon", "activeDeadlineSeconds: "},
	} {
		_, err := executorConfig(t, tc.config).Resolve(params(map[string]any{"n": 3.0, "bad": "{not json"}))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err %v, want %q", tc.config, err, tc.err)
		}
	}
}

func TestBuildPodErrors(t *testing.T) {
	for _, tc := range []struct {
		step Step
		err  string
	}{
		{Step{TaskID: "a"}, "task a: empty command line"},
		{Step{TaskID: "a", Argv: []string{"x"}, CPULimit: "lots"}, `task a: cpu "lots"`},
		{Step{TaskID: "a", Argv: []string{"x"}, Settings: &Settings{EmptyDirs: []EmptyDir{{Volume: "v", MountPath: "/v", SizeLimit: "big"}}}}, `emptyDir v size "big"`},
	} {
		if _, err := BuildPod(&tc.step, opts); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%+v: err %v, want %q", tc.step, err, tc.err)
		}
	}
}

func TestPodName(t *testing.T) {
	seen := map[string]bool{}
	for _, id := range []string{"train", "for-loop-2/0/train", "for-loop-2/1/train", "Very_Long.Task/" + strings.Repeat("x", 100), "-"} {
		for attempt := 1; attempt <= 2; attempt++ {
			n := PodName("0D1F2A3B-4c5d", id, attempt)
			if len(n) > 63 || invalidName().MatchString(n) || strings.HasPrefix(n, "-") || strings.HasSuffix(n, "-") {
				t.Errorf("PodName(%q) = %q: not a DNS-1123 label", id, n)
			}
			if seen[n] {
				t.Errorf("PodName(%q) = %q twice", id, n)
			}
			seen[n] = true
		}
	}
	if v := labelValue(strings.Repeat("a/", 40)); len(v) > 63 || strings.ContainsAny(v, "/") {
		t.Errorf("labelValue = %q", v)
	}
}

// A plain job (nothing to stage) runs its command directly: no launcher.
func TestDirectPod(t *testing.T) {
	pod, err := BuildPod(&Step{RunID: "r", TaskID: "t", Attempt: 1, Image: "busybox:1.36", Argv: []string{"sh", "-c", "echo hi"}, Env: []string{"A=1"}, Direct: true}, opts)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "direct", pod)
}

// The KFP compiler writes the security context's int64s as strings.
func TestSecurityContextAsKFPWritesIt(t *testing.T) {
	s, err := executorConfig(t, "securityContext: {runAsUser: '65534', runAsGroup: '100', runAsNonRoot: true}").Resolve(params(nil))
	if err != nil {
		t.Fatal(err)
	}
	sc := s.SecurityContext
	if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 65534 || sc.RunAsGroup == nil || *sc.RunAsGroup != 100 || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Fatalf("security context %+v", sc)
	}
	var raw map[string]any
	if err := yaml.Unmarshal([]byte("securityContext: {runAsUser: root}"), &raw); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseExecutorConfig(raw); err == nil || !strings.Contains(err.Error(), "not an integer") {
		t.Errorf("runAsUser: root: err %v", err)
	}
}
