package dsl_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sluicehq/sluice/dsl"
	"github.com/sluicehq/sluice/executor/kubernetes"
	"github.com/sluicehq/sluice/spec"
)

// The Kubernetes parity tests rebuild, with the Go SDK, the pipelines of the
// KFP-compiled corpus that use kfp-kubernetes, and compare both YAML
// documents with KFP's: the pipeline spec as the other parity tests do, and
// the platform spec (the second document) exactly. Each also checks that
// the YAML dsl writes loads with spec.Load into the same platform spec and
// that every executor's settings parse with the Kubernetes executor's
// ParseExecutorConfig.

func kfpCompiledPlatform(t *testing.T, rel string) *spec.PlatformSpec {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "shared", "conformance", "kfp-compiled", rel))
	if err != nil {
		t.Fatal(err)
	}
	p, err := spec.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.Platform == nil {
		t.Fatalf("%s has no platform spec", rel)
	}
	return p.Platform
}

// platformYAML is a platform spec as generic YAML, for comparing.
func platformYAML(t *testing.T, plat *spec.PlatformSpec) string {
	t.Helper()
	if plat == nil {
		return "(none)\n"
	}
	b, err := json.Marshal(plat)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// assertKubernetesParity checks both documents against KFP's, and that
// what dsl writes loads and parses.
func assertKubernetesParity(t *testing.T, rel string, p *dsl.Pipeline, dropDescriptions ...string) {
	t.Helper()
	want := kfpCompiled(t, rel) // skips when the corpus is absent
	wantPlat := kfpCompiledPlatform(t, rel)
	got, err := p.CompileWithPlatform()
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	for _, comp := range dropDescriptions {
		for _, ps := range []*spec.PipelineSpec{want, got.Spec} {
			if c := ps.Components[comp]; c != nil && c.InputDefinitions != nil {
				for _, in := range c.InputDefinitions.Parameters {
					in.Description = ""
				}
			}
		}
	}
	if w, g := comparable(t, want), comparable(t, got.Spec); w != g {
		t.Errorf("%s: the compiled spec differs from KFP's:\n%s", rel, lineDiff(w, g))
	}
	if w, g := platformYAML(t, wantPlat), platformYAML(t, got.Platform); w != g {
		t.Errorf("%s: the platform spec differs from KFP's:\n%s", rel, lineDiff(w, g))
	}
	checkPlatformLoads(t, p, got)
}

// checkPlatformLoads checks that p's YAML loads with spec.Load into the
// compiled platform spec and that each executor's settings parse.
func checkPlatformLoads(t *testing.T, p *dsl.Pipeline, compiled *spec.Pipeline) {
	t.Helper()
	y, err := p.YAML()
	if err != nil {
		t.Fatal(err)
	}
	lp, err := spec.Load(y)
	if err != nil {
		t.Fatalf("spec.Load: %v\n%s", err, y)
	}
	if w, g := platformYAML(t, compiled.Platform), platformYAML(t, lp.Platform); w != g {
		t.Errorf("the platform spec read back from the YAML differs:\n%s", lineDiff(w, g))
	}
	if lp.Platform == nil {
		return
	}
	for label, raw := range lp.Platform.Platforms["kubernetes"].DeploymentSpec.Executors {
		if lp.Spec.DeploymentSpec.Executors[label] == nil {
			t.Errorf("platform settings for %s, which is not an executor", label)
		}
		if _, err := kubernetes.ParseExecutorConfig(raw); err != nil {
			t.Errorf("%s: %v", label, err)
		}
	}
}

func TestParityKubernetesSecretAsEnv(t *testing.T) {
	comp := py("comp", nil)
	gen := py("generate_secret_name", nil, dsl.Output{Name: "some_output", Type: dsl.String})
	p := dsl.NewPipeline("pipeline-secret-env")
	secretParam := p.StringParam("secret_parm", "test-secret-1")
	name := p.Task(gen, nil).Output("some_output")
	p.Task(comp, nil).
		UseSecretAsEnv(secretParam, map[string]string{"username": "USER_NAME"}).
		UseSecretAsEnv("test-secret-2", map[string]string{"password": "PASSWORD_VAR1"}).
		UseSecretAsEnv(name, map[string]string{"password": "PASSWORD_VAR2"})
	assertKubernetesParity(t, "critical/pipeline_with_secret_as_env.yaml", p)
}

func TestParityKubernetesSecretAsVolume(t *testing.T) {
	p := dsl.NewPipeline("pipeline-secret-volume")
	secretParam := p.StringParam("secret_param", "test-secret-1")
	p.Task(py("comp", nil), nil).UseSecretAsVolume(secretParam, "/mnt/my_vol")
	assertKubernetesParity(t, "pipeline_with_secret_as_volume.yaml", p)
}

func TestParityKubernetesPVCMount(t *testing.T) {
	p := dsl.NewPipeline("pvc-mount-pipeline")
	pvc := p.Param(dsl.Input{Name: "pvc_name", Type: dsl.String})
	producer := p.Task(py("producer", nil, ret(dsl.String)), nil).MountPVC(pvc, "/data")
	p.Task(py("consumer", nil), nil).MountPVC(pvc, "/data").After(producer)
	assertKubernetesParity(t, "pvc_mount.yaml", p)
}

// volumePipeline is pipeline_with_volume: CreatePVC, two tasks mounting the
// claim through its output, DeletePVC.
func volumePipeline(name string, cache bool) *dsl.Pipeline {
	p := dsl.NewPipeline(name)
	pvc := p.Task(dsl.CreatePVC, dsl.Inputs{
		"access_modes":       []string{"ReadWriteOnce"},
		"pvc_name_suffix":    "-my-pvc",
		"size":               "5Mi",
		"storage_class_name": "standard",
	}).SetCaching(cache)
	producer := p.Task(py("producer", nil, ret(dsl.String)), nil).MountPVC(pvc.Output("name"), "/data")
	consumer := p.Task(py("consumer", nil, ret(dsl.String)), nil).MountPVC(pvc.Output("name"), "/data").After(producer)
	p.Task(dsl.DeletePVC, dsl.Inputs{"pvc_name": pvc.Output("name")}).After(consumer).SetCaching(cache)
	return p
}

func TestParityKubernetesCreateMountDeletePVC(t *testing.T) {
	// CreatePVC's input descriptions are Sluice's own words, not KFP's.
	assertKubernetesParity(t, "pipeline_with_volume.yaml", volumePipeline("pipeline-with-volume", true), "comp-createpvc", "comp-deletepvc")
	assertKubernetesParity(t, "pipeline_with_volume_no_cache.yaml", volumePipeline("pipeline-with-volume-no-cache", false), "comp-createpvc", "comp-deletepvc")
}

func TestParityKubernetesPVCInParallelFor(t *testing.T) {
	p := dsl.NewPipeline("pipeline-parallel-for-mount-pvc").SetDescription("Pipeline with 1 component inside ParallelFor using mount_pvc.")
	p.StringParam("my_pvc_name_suffix", "test-pvc")
	pvc := p.Task(dsl.CreatePVC, dsl.Inputs{
		"access_modes":       []string{"ReadWriteOnce"},
		"pvc_name_suffix":    "-my-pvc",
		"size":               "5Mi",
		"storage_class_name": "standard",
	})
	example := py("example_component", []dsl.Input{in("item", dsl.String)}, ret(dsl.String))
	p.ParallelFor([]string{"a"}, func(item dsl.Channel) {
		p.Task(example, dsl.Inputs{"item": item}).MountPVC(pvc.Output("name"), "/data")
	})
	assertKubernetesParity(t, "parallel_and_nested/parallel_for_mount_pvc.yaml", p, "comp-createpvc")
}

func TestParityKubernetesSecretInParallelFor(t *testing.T) {
	example := py("example_component", []dsl.Input{in("item", dsl.String)}, ret(dsl.String))
	p := dsl.NewPipeline("pipeline-2-parallel-for-secret").SetDescription("Pipeline with 1 component inside ParallelFor using use_secret_as_env.")
	secret := p.StringParam("my_secret_name", "test-secret-1")
	p.ParallelFor([]string{"a", "b", "c"}, func(item dsl.Channel) {
		p.Task(example, dsl.Inputs{"item": item}).UseSecretAsEnv(secret, map[string]string{"username": "MY_SECRET_KEY"})
	}, dsl.Parallelism(1))
	assertKubernetesParity(t, "parallel_and_nested/parallel_for_secret.yaml", p)
}

func TestParityKubernetesTaskOutputSecretInParallelFor(t *testing.T) {
	emit := py("emit_secret_name", nil, ret(dsl.String))
	worker := py("worker_component", []dsl.Input{in("item", dsl.String)}, ret(dsl.String))
	p := dsl.NewPipeline("pipeline-4-nested-parallel-for-secret").SetDescription("Pipeline with outer task output used as secret name inside ParallelFor.")
	name := p.Task(emit, nil).Output("Output")
	p.ParallelFor([]string{"x", "y"}, func(item dsl.Channel) {
		p.Task(worker, dsl.Inputs{"item": item}).UseSecretAsEnv(name, map[string]string{"username": "MY_SECRET_KEY"})
	}, dsl.Parallelism(1))
	assertKubernetesParity(t, "parallel_and_nested/nested_parallel_for_secret.yaml", p)
}

func TestParityKubernetesPodMetadata(t *testing.T) {
	strs := func(names ...string) []dsl.Input {
		var ins []dsl.Input
		for _, n := range names {
			ins = append(ins, in(n, dsl.String))
		}
		return ins
	}
	consts := func(kv ...string) dsl.Inputs {
		m := dsl.Inputs{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	p := dsl.NewPipeline("pipeline-with-pod-metadata")
	p.Task(py("validate_no_pod_metadata", nil, ret(dsl.Bool)), nil).SetCaching(false).
		UseFieldPathAsEnv("POD_TASK_ANNOTATION", "metadata.annotations['task-annotation']").
		UseFieldPathAsEnv("POD_TASK_ANNOTATION_1", "metadata.annotations['task-annotation-1']").
		UseFieldPathAsEnv("POD_TASK_LABEL", "metadata.labels['task-label']").
		UseFieldPathAsEnv("POD_TASK_LABEL_1", "metadata.labels['task-label-1']")
	p.Task(py("validate_pod_metadata_task_a", strs("annotation_exp_val", "annotation_path", "label_exp_val_1", "label_exp_val_2", "label_path_1", "label_path_2"), ret(dsl.Bool)),
		consts("annotation_path", "POD_TASK_ANNOTATION", "annotation_exp_val", "annotation",
			"label_path_1", "POD_TASK_LABEL_1", "label_exp_val_1", "label-1",
			"label_path_2", "POD_TASK_LABEL_2", "label_exp_val_2", "label-2")).SetCaching(false).
		AddPodLabel("task-label-1", "label-1").
		AddPodLabel("task-label-2", "label-2").
		AddPodAnnotation("task-annotation", "annotation").
		UseFieldPathAsEnv("POD_TASK_ANNOTATION", "metadata.annotations['task-annotation']").
		UseFieldPathAsEnv("POD_TASK_LABEL_1", "metadata.labels['task-label-1']").
		UseFieldPathAsEnv("POD_TASK_LABEL_2", "metadata.labels['task-label-2']")
	b := p.Task(py("validate_pod_metadata_task_b", strs("annotation_exp_val_1", "annotation_exp_val_2", "annotation_exp_val_3", "annotation_exp_val_4",
		"annotation_path_1", "annotation_path_2", "annotation_path_3", "annotation_path_4",
		"label_exp_val_1", "label_exp_val_2", "label_exp_val_3", "label_path_1", "label_path_2", "label_path_3"), ret(dsl.Bool)),
		consts("annotation_path_1", "POD_TASK_ANNOTATION_1", "annotation_exp_val_1", "annotation-1",
			"annotation_path_2", "POD_TASK_ANNOTATION_2", "annotation_exp_val_2", "annotation-2",
			"annotation_path_3", "POD_TASK_ANNOTATION_3", "annotation_exp_val_3", "annotation-3",
			"annotation_path_4", "POD_TASK_ANNOTATION_4", "annotation_exp_val_4", "annotation-4",
			"label_path_1", "POD_TASK_LABEL_1", "label_exp_val_1", "label-1",
			"label_path_2", "POD_TASK_LABEL_2", "label_exp_val_2", "label-2",
			"label_path_3", "POD_TASK_LABEL_3", "label_exp_val_3", "label-3")).SetCaching(false)
	for i := 1; i <= 4; i++ {
		n := string(rune('0' + i))
		b.AddPodAnnotation("task-annotation-"+n, "annotation-"+n).UseFieldPathAsEnv("POD_TASK_ANNOTATION_"+n, "metadata.annotations['task-annotation-"+n+"']")
	}
	for i := 1; i <= 3; i++ {
		n := string(rune('0' + i))
		b.AddPodLabel("task-label-"+n, "label-"+n).UseFieldPathAsEnv("POD_TASK_LABEL_"+n, "metadata.labels['task-label-"+n+"']")
	}
	c := p.Task(py("validate_pod_metadata_task_c", strs("annotation_exp_val_1", "annotation_exp_val_2", "annotation_path_1", "annotation_path_2"), ret(dsl.Bool)),
		consts("annotation_path_1", "POD_TASK_ANNOTATION_1", "annotation_exp_val_1", "annotation-1",
			"annotation_path_2", "POD_TASK_ANNOTATION_2", "annotation_exp_val_2", "annotation-2")).SetCaching(false)
	for i := 1; i <= 2; i++ {
		n := string(rune('0' + i))
		c.AddPodAnnotation("task-annotation-"+n, "annotation-"+n).UseFieldPathAsEnv("POD_TASK_ANNOTATION_"+n, "metadata.annotations['task-annotation-"+n+"']")
	}
	d := p.Task(py("validate_pod_metadata_task_d", strs("label_exp_val_1", "label_exp_val_2", "label_exp_val_3", "label_path_1", "label_path_2", "label_path_3"), ret(dsl.Bool)),
		consts("label_path_1", "POD_TASK_LABEL_1", "label_exp_val_1", "label-1",
			"label_path_2", "POD_TASK_LABEL_2", "label_exp_val_2", "label-2",
			"label_path_3", "POD_TASK_LABEL_3", "label_exp_val_3", "label-3")).SetCaching(false)
	for i := 1; i <= 3; i++ {
		n := string(rune('0' + i))
		d.AddPodLabel("task-label-"+n, "label-"+n).UseFieldPathAsEnv("POD_TASK_LABEL_"+n, "metadata.labels['task-label-"+n+"']")
	}
	assertKubernetesParity(t, "critical/pipeline_with_pod_metadata.yaml", p)
}

func TestParityKubernetesPodMetadataComplex(t *testing.T) {
	var opt []dsl.Input
	for _, n := range []string{"annotation_path_1", "annotation_exp_val_1", "annotation_path_2", "annotation_exp_val_2",
		"label_path_1", "label_exp_val_1", "label_path_2", "label_exp_val_2"} {
		opt = append(opt, dsl.Input{Name: n, Type: dsl.String, Optional: true})
	}
	validate := py("validate_pod_metadata", opt, ret(dsl.Bool))
	p := dsl.NewPipeline("pipeline-with-pod-metadata")
	p.Task(py("validate_no_pod_metadata", []dsl.Input{in("annotation_path", dsl.String), in("label_path", dsl.String)}, ret(dsl.Bool)),
		dsl.Inputs{"annotation_path": "POD_TASK_ANNOTATION", "label_path": "POD_TASK_LABEL"}).SetCaching(false)
	p.Task(validate, dsl.Inputs{
		"annotation_path_1": "POD_TASK_ANNOTATION", "annotation_exp_val_1": "annotation",
		"label_path_1": "POD_TASK_LABEL_1", "label_exp_val_1": "label-1",
		"label_path_2": "POD_TASK_LABEL_2", "label_exp_val_2": "label-2",
	}).SetCaching(false).
		AddPodAnnotation("task-annotation", "annotation").
		AddPodLabel("task-label-1", "label-1").
		AddPodLabel("task-label-2", "label-2").
		UseFieldPathAsEnv("POD_TASK_ANNOTATION", "metadata.annotations['task-annotation']").
		UseFieldPathAsEnv("POD_TASK_LABEL_1", "metadata.labels['task-label-1']").
		UseFieldPathAsEnv("POD_TASK_LABEL_2", "metadata.labels['task-label-2']")
	p.Task(validate, dsl.Inputs{
		"annotation_path_1": "POD_TASK_ANNOTATION_1", "annotation_exp_val_1": "annotation-1",
		"annotation_path_2": "POD_TASK_ANNOTATION_2", "annotation_exp_val_2": "annotation-2",
	}).SetCaching(false).
		AddPodAnnotation("task-annotation-1", "annotation-1").
		AddPodAnnotation("task-annotation-2", "annotation-2").
		UseFieldPathAsEnv("POD_TASK_ANNOTATION_1", "metadata.annotations['task-annotation-1']").
		UseFieldPathAsEnv("POD_TASK_ANNOTATION_2", "metadata.annotations['task-annotation-2']")
	assertKubernetesParity(t, "create_pod_metadata_complex.yaml", p)
}

func TestParityKubernetesMissingOptionalInputs(t *testing.T) {
	p := dsl.NewPipeline("missing-kubernetes-optional-inputs-pipeline")
	opt := func(name string, typ dsl.Type) dsl.Channel {
		return p.Param(dsl.Input{Name: name, Type: typ, Optional: true})
	}
	affinity := opt("optional_affinity", dsl.Struct)
	configMap := opt("optional_config_map_name", dsl.String)
	pullSecret := opt("optional_image_pull_secret_name", dsl.String)
	secret := opt("optional_secret_name", dsl.String)
	selector := opt("optional_selector", dsl.Struct)
	tolerations := opt("optional_tolerations", dsl.List)
	p.Task(py("log_message", []dsl.Input{in("message", dsl.String)}), dsl.Inputs{"message": "baseline task"}).
		SetCaching(false).
		UseSecretAsEnv(secret, map[string]string{"password": "PASSWORD"}, dsl.Optional()).
		UseSecretAsVolume(secret, "/mnt/secret", dsl.Optional()).
		UseConfigMapAsEnv(configMap, map[string]string{"setting": "SETTING"}, dsl.Optional()).
		UseConfigMapAsVolume(configMap, "/mnt/config", dsl.Optional()).
		SetImagePullSecrets(pullSecret).
		AddNodeSelectorJSON(selector).
		AddTolerationJSON(tolerations).
		AddNodeAffinityJSON(affinity)
	assertKubernetesParity(t, "critical/missing_kubernetes_optional_inputs.yaml", p)
}

func TestParityKubernetesToleration(t *testing.T) {
	p := dsl.NewPipeline("nvidia-gpu-scheduling-check").
		SetDescription("Verifies a task requesting nvidia.com/gpu with a matching toleration can schedule and complete (no CUDA/torch assertions).")
	verify := &dsl.Container{Name: "verify_gpu_scheduled", Image: "python:3.11",
		Command: []string{"sh", "-c"}, Args: []string{`echo "GPU scheduling check: PASS"`}}
	p.Task(verify, nil).SetCaching(false).
		SetAcceleratorType("nvidia.com/gpu").SetAcceleratorLimit(1).
		AddToleration(dsl.Toleration{Key: "nvidia.com/gpu", Operator: "Exists", Effect: "NoSchedule"})
	assertKubernetesParity(t, "gpu-scheduling/nvidia_gpu_scheduling_check.yaml", p)
}
