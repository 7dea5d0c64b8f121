package dsl_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/dsl"
	"github.com/sluicehq/sluice/dsl/dsltest"
	"github.com/sluicehq/sluice/executor/kubernetes"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
)

func TestKubernetesErrors(t *testing.T) {
	cases := []struct {
		name  string
		build func(p *dsl.Pipeline)
		want  []string // substrings of the error, in order
	}{
		{"empty secret name", func(p *dsl.Pipeline) {
			p.Task(echo, dsl.Inputs{"text": "a"}).UseSecretAsEnv("", map[string]string{"k": "K"})
		}, []string{`task "echo": UseSecretAsEnv: empty secret name`}},
		{"bad secret name", func(p *dsl.Pipeline) {
			p.Task(echo, dsl.Inputs{"text": "a"}).UseSecretAsVolume("My_Secret", "/s")
		}, []string{`task "echo": UseSecretAsVolume("My_Secret"): not a valid secret name`}},
		{"no keys", func(p *dsl.Pipeline) {
			p.Task(echo, dsl.Inputs{"text": "a"}).UseConfigMapAsEnv("cm", nil)
		}, []string{`task "echo": UseConfigMapAsEnv: no keys: map each key of the config map to an environment variable`}},
		{"bad key and variable", func(p *dsl.Pipeline) {
			p.Task(echo, dsl.Inputs{"text": "a"}).UseSecretAsEnv("s", map[string]string{"a b": "A", "c": "X=Y"})
		}, []string{`task "echo": UseSecretAsEnv: "a b" is not a valid secret key`, `task "echo": UseSecretAsEnv: key "c": "X=Y" is not a valid environment variable name`}},
		{"relative mount path", func(p *dsl.Pipeline) {
			p.Task(echo, dsl.Inputs{"text": "a"}).UseConfigMapAsVolume("cm", "etc/cfg")
		}, []string{`task "echo": UseConfigMapAsVolume("etc/cfg"): the mount path must be an absolute path without ':'`}},
		{"empty mount path", func(p *dsl.Pipeline) {
			p.Task(echo, dsl.Inputs{"text": "a"}).MountPVC("data", "")
		}, []string{`task "echo": MountPVC: empty mount path`}},
		{"mount path used twice", func(p *dsl.Pipeline) {
			p.Task(echo, dsl.Inputs{"text": "a"}).MountPVC("data", "/data").UseSecretAsVolume("s", "/data/")
		}, []string{`task "echo": UseSecretAsVolume: mount path "/data/" is already used by a PVC`}},
		{"bad sub path", func(p *dsl.Pipeline) {
			p.Task(echo, dsl.Inputs{"text": "a"}).MountPVC("data", "/data", dsl.SubPath("../x"))
		}, []string{`task "echo": MountPVC: SubPath("../x"): must be a relative path inside the volume`}},
		{"option that does not apply", func(p *dsl.Pipeline) {
			p.Task(echo, dsl.Inputs{"text": "a"}).UseSecretAsEnv("s", map[string]string{"k": "K"}, dsl.SubPath("x"))
		}, []string{`task "echo": UseSecretAsEnv: option SubPath does not apply`}},
		{"option of a task on a group", func(p *dsl.Pipeline) {
			p.ParallelFor([]int{1}, func(dsl.Channel) { p.Task(echo, dsl.Inputs{"text": "a"}) }, dsl.Optional())
		}, []string{`ParallelFor: option Optional does not apply`}},
		{"name of the wrong type", func(p *dsl.Pipeline) {
			n := p.IntParam("n", 1)
			p.Task(echo, dsl.Inputs{"text": "a"}).UseSecretAsEnv(n, map[string]string{"k": "K"})
		}, []string{`task "echo": UseSecretAsEnv: pipeline parameter "n" is a int, not a str`}},
		{"name of another kind", func(p *dsl.Pipeline) {
			p.Task(echo, dsl.Inputs{"text": "a"}).MountPVC(42, "/data")
		}, []string{`task "echo": MountPVC: wants the PVC name as a string or a string Channel, got int`}},
		{"name made with Sprintf", func(p *dsl.Pipeline) {
			s := p.StringParam("s", "x")
			p.Task(echo, dsl.Inputs{"text": "a"}).MountPVC(dsl.Sprintf("pvc-%v", s), "/data")
		}, []string{`task "echo": MountPVC: a PVC name cannot be made with Sprintf`}},
		{"own output", func(p *dsl.Pipeline) {
			e := p.Task(echo, dsl.Inputs{"text": "a"})
			e.UseSecretAsEnv(e.Output("out"), map[string]string{"k": "K"})
		}, []string{`task "echo": UseSecretAsEnv: the task's own output "out" cannot configure its pod`}},
		{"output of a task inside a condition", func(p *dsl.Pipeline) {
			n := p.IntParam("n", 1)
			var name dsl.Channel
			p.If(n.Gt(0), func() { name = p.Task(echo, dsl.Inputs{"text": "s"}).Output("out") })
			p.Task(echo, dsl.Inputs{"text": "a"}).UseSecretAsEnv(name, map[string]string{"k": "K"})
		}, []string{`task "echo-2": UseSecretAsEnv: task "echo" is inside condition-1 (a condition): its outputs can only be used inside that condition`}},
		{"loop item outside its loop", func(p *dsl.Pipeline) {
			var item dsl.Channel
			p.ParallelFor([]string{"a"}, func(x dsl.Channel) { item = x; p.Task(echo, dsl.Inputs{"text": x}) })
			p.Task(echo, dsl.Inputs{"text": "a"}).MountPVC(item, "/data")
		}, []string{`task "echo-2": MountPVC: the item of for-loop-2 is used outside its ParallelFor`}},
		{"channel of another pipeline", func(p *dsl.Pipeline) {
			other := dsl.NewPipeline("other")
			p.Task(echo, dsl.Inputs{"text": "a"}).SetImagePullSecrets(other.StringParam("s", "x"))
		}, []string{`task "echo": SetImagePullSecrets: pipeline parameter "s" belongs to pipeline "other", not to "errors"`}},
		{"nested pipeline task", func(p *dsl.Pipeline) {
			inner := dsl.NewPipeline("inner")
			inner.Task(echo, dsl.Inputs{"text": "a"})
			p.Task(inner, nil).AddPodLabel("a", "b")
		}, []string{`task "inner": AddPodLabel: only container tasks have Kubernetes settings (this task runs a nested pipeline)`}},
		{"importer task", func(p *dsl.Pipeline) {
			p.Importer(dsl.Importer{URI: "gs://b/f", Type: dsl.Dataset}).SetTimeout(time.Minute)
		}, []string{`task "importer": SetTimeout: only container tasks have Kubernetes settings (this task runs an importer)`}},
		{"bad labels", func(p *dsl.Pipeline) {
			p.Task(echo, dsl.Inputs{"text": "a"}).AddPodLabel("-x", "y").AddPodLabel("x", "y z").AddNodeSelector("a/b/c", "d").AddPodAnnotation("", "v")
		}, []string{`AddPodLabel: "-x" is not a valid label key`, `AddPodLabel: "y z" is not a valid label value`,
			`AddNodeSelector: "a/b/c" is not a valid label key`, `AddPodAnnotation: "" is not a valid annotation key`}},
		{"bad tolerations", func(p *dsl.Pipeline) {
			p.Task(echo, dsl.Inputs{"text": "a"}).
				AddToleration(dsl.Toleration{Key: "k", Operator: "In"}).
				AddToleration(dsl.Toleration{Key: "k", Effect: "NoRun"}).
				AddToleration(dsl.Toleration{Effect: "NoSchedule"}).
				AddToleration(dsl.Toleration{Key: "k", Operator: "Exists", Value: "v"})
		}, []string{`AddToleration: operator "In": wants "Equal" or "Exists"`, `AddToleration: effect "NoRun"`,
			`AddToleration: a toleration without a key must have operator "Exists"`, `AddToleration: a toleration with operator "Exists" has no value`}},
		{"bad JSON settings", func(p *dsl.Pipeline) {
			l := p.ListParam("l", []string{"a"})
			p.Task(echo, dsl.Inputs{"text": "a"}).AddNodeSelectorJSON(l).AddTolerationJSON("x").AddNodeAffinityJSON(nil)
		}, []string{`AddNodeSelectorJSON: pipeline parameter "l" is a list, not a dict`, `AddTolerationJSON: wants a dict or list (a Go value or a Channel), got "x"`,
			`AddNodeAffinityJSON: wants a dict (a Go value or a Channel), got <nil>`}},
		{"bad pull policy, timeout, field path", func(p *dsl.Pipeline) {
			p.Task(echo, dsl.Inputs{"text": "a"}).SetImagePullPolicy("Sometimes").SetTimeout(1500*time.Millisecond).
				UseFieldPathAsEnv("NODE", "spec.node").SetImagePullSecrets()
		}, []string{`SetImagePullPolicy("Sometimes"): wants "Always", "IfNotPresent" or "Never"`, `SetTimeout(1.5s): wants a whole number of seconds >= 0`,
			`UseFieldPathAsEnv("NODE", "spec.node"): not a pod field`, `SetImagePullSecrets: no secret names`}},
		{"bad empty dirs", func(p *dsl.Pipeline) {
			p.Task(echo, dsl.Inputs{"text": "a"}).
				MountEmptyDir("Scratch", "/scratch").
				MountEmptyDir("tmp", "/tmp", dsl.Medium("Disk")).
				MountEmptyDir("tmp", "/tmp", dsl.SizeLimit("lots")).
				MountEmptyDir("shm", "/a").EnableSharedMemory("1Gi")
		}, []string{`MountEmptyDir("Scratch"): not a valid volume name`, `MountEmptyDir: Medium("Disk")`, `MountEmptyDir: SizeLimit("lots"): not a quantity`,
			`EnableSharedMemory: volume name "shm" is already used by MountEmptyDir`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := dsl.NewPipeline("errors")
			c.build(p)
			_, err := p.Compile()
			var es dsl.Errors
			if !errors.As(err, &es) {
				t.Fatalf("got %v, want dsl.Errors", err)
			}
			msg := err.Error()
			for _, w := range c.want {
				i := strings.Index(msg, w)
				if i < 0 {
					t.Fatalf("error\n%s\ndoes not say\n%s", err, w)
				}
				msg = msg[i+len(w):]
			}
		})
	}
}

func TestKubernetesSettingsOnlyWhenUsed(t *testing.T) {
	p := dsl.NewPipeline("plain")
	p.Task(echo, dsl.Inputs{"text": "a"})
	got, err := p.CompileWithPlatform()
	if err != nil {
		t.Fatal(err)
	}
	y, _ := p.YAML()
	if got.Platform != nil || bytes.Contains(y, []byte("\n---\n")) || bytes.Contains(y, []byte("platforms:")) {
		t.Errorf("a pipeline without Kubernetes settings has a platform spec:\n%s", y)
	}
}

// A nested pipeline's Kubernetes settings follow its executors, renamed
// where their labels are taken, whether the nested pipeline is Go code or a
// compiled YAML file.
func TestKubernetesNestedPipelines(t *testing.T) {
	inner := dsl.NewPipeline("inner")
	secret := inner.Param(dsl.Input{Name: "secret", Type: dsl.String})
	inner.Task(echo, dsl.Inputs{"text": "a"}).UseSecretAsEnv(secret, map[string]string{"token": "TOKEN"}).AddPodLabel("team", "ml")
	inner.Task(square, dsl.Inputs{"x": 2})

	p := dsl.NewPipeline("outer")
	p.Task(echo, dsl.Inputs{"text": "a"}).SetImagePullPolicy("Always")
	p.Task(inner, dsl.Inputs{"secret": "s1"})
	innerYAML, err := inner.YAML()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := dsl.LoadComponent(innerYAML)
	if err != nil {
		t.Fatal(err)
	}
	p.Task(loaded, dsl.Inputs{"secret": "s2"})

	got, err := p.CompileWithPlatform()
	if err != nil {
		t.Fatal(err)
	}
	execs := got.Platform.Platforms["kubernetes"].DeploymentSpec.Executors
	if len(execs) != 3 || execs["exec-echo"]["imagePullPolicy"] != "Always" {
		t.Fatalf("executors %v, want exec-echo, exec-echo-2 and exec-echo-3 (not the squares')", execs)
	}
	for _, label := range []string{"exec-echo-2", "exec-echo-3"} {
		cfg, err := kubernetes.ParseExecutorConfig(execs[label])
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.SecretAsEnv) != 1 || cfg.SecretAsEnv[0].SecretNameParameter.ComponentInputParameter != "secret" ||
			cfg.PodMetadata == nil || cfg.PodMetadata.Labels["team"] != "ml" {
			t.Errorf("%s: %v, want the inner pipeline's settings", label, execs[label])
		}
	}
	checkPlatformLoads(t, p, got)
}

// kitchenSink uses every Kubernetes setting.
func kitchenSink() *dsl.Pipeline {
	p := dsl.NewPipeline("kubernetes-settings")
	secret := p.StringParam("secret", "db-credentials")
	affinity := p.DictParam("affinity", map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{
		"nodeSelectorTerms": []any{map[string]any{"matchExpressions": []any{map[string]any{"key": "zone", "operator": "In", "values": []any{"a"}}}}}}})
	pvc := p.Task(dsl.CreatePVC, dsl.Inputs{"access_modes": []string{"ReadWriteOnce"}, "pvc_name_suffix": "-scratch", "size": "1Gi"})
	seconds := int64(60)
	var last *dsl.Task
	p.ParallelFor([]string{"eu", "us"}, func(region dsl.Channel) {
		last = p.Task(echo, dsl.Inputs{"text": region}).
			UseSecretAsEnv(secret, map[string]string{"user": "DB_USER", "password": "DB_PASSWORD"}).
			UseSecretAsVolume("tls", "/etc/tls", dsl.Optional()).
			UseConfigMapAsEnv(region, map[string]string{"endpoint": "ENDPOINT"}).
			UseConfigMapAsVolume("settings", "/etc/settings").
			MountPVC(pvc.Output("name"), "/scratch", dsl.SubPath("work")).
			MountEmptyDir("cache", "/cache", dsl.Medium("Memory"), dsl.SizeLimit("256Mi")).
			EnableSharedMemory("1Gi").
			AddNodeSelector("kubernetes.io/arch", "amd64").
			AddNodeSelectorJSON(map[string]string{"disk": "ssd"}).
			AddToleration(dsl.Toleration{Key: "dedicated", Operator: "Equal", Value: "ml", Effect: "NoExecute", Seconds: &seconds}).
			AddTolerationJSON([]map[string]string{{"key": "spot", "operator": "Exists"}}).
			AddNodeAffinityJSON(affinity).
			AddPodLabel("team", "ml").
			AddPodAnnotation("example.com/owner", "ada").
			SetImagePullSecrets("registry", secret).
			SetImagePullPolicy("IfNotPresent").
			SetTimeout(10*time.Minute).
			UseFieldPathAsEnv("POD_NAME", "metadata.name")
	})
	p.Task(dsl.DeletePVC, dsl.Inputs{"pvc_name": pvc.Output("name")}).After(last)
	return p
}

func TestKubernetesGolden(t *testing.T) {
	p := kitchenSink()
	dsltest.Golden(t, p, "testdata/kubernetes.yaml")
	got, err := p.CompileWithPlatform()
	if err != nil {
		t.Fatal(err)
	}
	checkPlatformLoads(t, p, got)

	// The loop task's settings resolve into what the pod is built from.
	raw := got.Platform.Platforms["kubernetes"].DeploymentSpec.Executors["exec-echo"]
	cfg, err := kubernetes.ParseExecutorConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]any{"pipelinechannel--secret": "db-credentials", "pipelinechannel--loop-item-param-1": "eu",
		"pipelinechannel--createpvc-name": "run-1-scratch", "pipelinechannel--affinity": got.Spec.Root.InputDefinitions.Parameters["affinity"].DefaultValue}
	s, err := cfg.Resolve(func(ip *spec.InputParameter) (any, error) {
		if ip.RuntimeValue != nil {
			return ip.RuntimeValue.Constant, nil
		}
		v, ok := values[ip.ComponentInputParameter]
		if !ok {
			t.Errorf("unexpected reference %+v", ip)
		}
		return v, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case len(s.SecretEnv) != 1 || s.SecretEnv[0].Name != "db-credentials" || len(s.SecretEnv[0].Keys) != 2:
		t.Errorf("secret env %+v", s.SecretEnv)
	case len(s.ConfigMapEnv) != 1 || s.ConfigMapEnv[0].Name != "eu":
		t.Errorf("config map env %+v", s.ConfigMapEnv)
	case len(s.PVCMounts) != 1 || s.PVCMounts[0] != (kubernetes.PVCMount{Claim: "run-1-scratch", MountPath: "/scratch", SubPath: "work"}):
		t.Errorf("PVC mounts %+v", s.PVCMounts)
	case len(s.SecretVolumes) != 1 || !s.SecretVolumes[0].Optional:
		t.Errorf("secret volumes %+v", s.SecretVolumes)
	case s.NodeSelector["disk"] != "ssd" || s.NodeSelector["kubernetes.io/arch"] != "amd64":
		t.Errorf("node selector %v", s.NodeSelector)
	case len(s.Tolerations) != 2 || s.Tolerations[0].TolerationSeconds == nil || *s.Tolerations[0].TolerationSeconds != 60 || s.Tolerations[1].Key != "spot":
		t.Errorf("tolerations %+v", s.Tolerations)
	case s.NodeAffinity == nil || s.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil:
		t.Errorf("node affinity %+v", s.NodeAffinity)
	case s.ActiveDeadlineSeconds == nil || *s.ActiveDeadlineSeconds != 600:
		t.Errorf("active deadline %v", s.ActiveDeadlineSeconds)
	case len(s.ImagePullSecrets) != 2 || s.ImagePullSecrets[1] != "db-credentials":
		t.Errorf("image pull secrets %v", s.ImagePullSecrets)
	case len(s.EmptyDirs) != 2 || len(s.FieldPathEnv) != 1 || s.Labels["team"] != "ml" || s.Annotations["example.com/owner"] != "ada" || s.ImagePullPolicy != "IfNotPresent":
		t.Errorf("settings %+v", s)
	}
}

// The local executor runs a pipeline with Kubernetes settings (it warns
// that it does not apply them).
func TestKubernetesSettingsRunLocally(t *testing.T) {
	p := dsl.NewPipeline("local")
	token := p.StringParam("token", "t")
	e := p.Task(echo, dsl.Inputs{"text": "hi"}).UseSecretAsEnv(token, map[string]string{"token": "TOKEN"}).AddPodLabel("a", "b")
	p.Output("out", e.Output("out"))
	res := runPipeline(t, p, nil)
	if res.State != runstate.Succeeded || res.Outputs.Parameters["out"] != "hi" {
		t.Fatalf("run: %s %v", res.State, res.Outputs.Parameters)
	}
}

// A component file compiled with Kubernetes settings keeps them; the task's
// own settings are added.
func TestKubernetesLoadedComponentSettings(t *testing.T) {
	one := dsl.NewPipeline("one")
	one.Task(echo, dsl.Inputs{"text": "a"}).UseSecretAsVolume("tls", "/etc/tls").AddPodLabel("team", "ml")
	y, err := one.YAML()
	if err != nil {
		t.Fatal(err)
	}
	comp, err := dsl.LoadComponent(y)
	if err != nil {
		t.Fatal(err)
	}
	p := dsl.NewPipeline("uses-one")
	p.Task(comp, dsl.Inputs{"text": "b"}).UseSecretAsVolume("ca", "/etc/ca").AddPodLabel("stage", "dev")
	p.Task(comp, dsl.Inputs{"text": "c"})
	got, err := p.CompileWithPlatform()
	if err != nil {
		t.Fatal(err)
	}
	execs := got.Platform.Platforms["kubernetes"].DeploymentSpec.Executors
	first, err := kubernetes.ParseExecutorConfig(execs["exec-one"])
	if err != nil {
		t.Fatal(err)
	}
	if len(first.SecretAsVolume) != 2 || first.SecretAsVolume[0].SecretName != "tls" || first.SecretAsVolume[1].SecretName != "ca" ||
		first.PodMetadata.Labels["team"] != "ml" || first.PodMetadata.Labels["stage"] != "dev" {
		t.Errorf("exec-one: %v", execs["exec-one"])
	}
	second, err := kubernetes.ParseExecutorConfig(execs["exec-one-2"])
	if err != nil {
		t.Fatal(err)
	}
	if len(second.SecretAsVolume) != 1 || second.PodMetadata.Labels["stage"] != "" {
		t.Errorf("exec-one-2: %v", execs["exec-one-2"])
	}
	checkPlatformLoads(t, p, got)
}
