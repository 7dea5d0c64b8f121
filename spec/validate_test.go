package spec_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/spec"
)

// baseSpec is twoStep plus a sub-DAG component (comp-sub) run by a root
// task "sub", with outputs exported by both DAGs.
func baseSpec(t *testing.T) *spec.PipelineSpec {
	t.Helper()
	p := mustLoad(t, []byte(twoStep))
	ps := p.Spec
	// A sub-DAG component: root task "sub" runs comp-sub, whose DAG runs
	// comp-producer and exports its output.
	ps.Components["comp-sub"] = &spec.ComponentSpec{
		InputDefinitions: &spec.Interface{Parameters: map[string]*spec.ParameterSpec{
			"x": {ParameterType: spec.TypeString},
		}},
		OutputDefinitions: &spec.Interface{Artifacts: map[string]*spec.ArtifactSpec{
			"out": {ArtifactType: spec.ArtifactType{SchemaTitle: "system.Dataset"}},
		}},
		DAG: &spec.DAGSpec{
			Tasks: map[string]*spec.TaskSpec{
				"inner": {
					TaskInfo:     spec.TaskInfo{Name: "inner"},
					ComponentRef: spec.ComponentRef{Name: "comp-producer"},
					Inputs: &spec.TaskInputs{Parameters: map[string]*spec.InputParameter{
						"text": {ComponentInputParameter: "x"},
					}},
				},
			},
			Outputs: &spec.DAGOutputs{Artifacts: map[string]*spec.DAGOutputArtifact{
				"out": {ArtifactSelectors: []spec.ArtifactSelector{{ProducerSubtask: "inner", OutputArtifactKey: "out"}}},
			}},
		},
	}
	ps.Root.DAG.Tasks["sub"] = &spec.TaskSpec{
		TaskInfo:     spec.TaskInfo{Name: "sub"},
		ComponentRef: spec.ComponentRef{Name: "comp-sub"},
		Inputs: &spec.TaskInputs{Parameters: map[string]*spec.InputParameter{
			"x": {RuntimeValue: &spec.ValueOrRuntimeParam{Constant: "c"}},
		}},
	}
	ps.Root.OutputDefinitions = &spec.Interface{Artifacts: map[string]*spec.ArtifactSpec{
		"result": {ArtifactType: spec.ArtifactType{SchemaTitle: "system.Dataset"}},
	}}
	ps.Root.DAG.Outputs = &spec.DAGOutputs{
		Artifacts: map[string]*spec.DAGOutputArtifact{
			"result": {ArtifactSelectors: []spec.ArtifactSelector{{ProducerSubtask: "sub", OutputArtifactKey: "out"}}},
		},
	}
	if err := spec.Validate(ps); err != nil {
		t.Fatalf("base spec is invalid: %v", err)
	}
	return ps
}

func TestValidateRefusals(t *testing.T) {
	task := func(ps *spec.PipelineSpec, key string) *spec.TaskSpec { return ps.Root.DAG.Tasks[key] }
	tests := []struct {
		name   string
		mutate func(ps *spec.PipelineSpec)
		field  string
		msg    []string
	}{
		{"no name", func(ps *spec.PipelineSpec) { ps.PipelineInfo.Name = "  " },
			"pipelineInfo.name", []string{"no name"}},
		{"control character in the pipeline name", func(ps *spec.PipelineSpec) { ps.PipelineInfo.Name = "a\x00b" },
			"pipelineInfo.name", []string{`"a\x00b"`, "control character"}},
		{"NUL in a task key", func(ps *spec.PipelineSpec) {
			ps.Components["comp-sub"].DAG.Tasks["in\x00ner"] = ps.Components["comp-sub"].DAG.Tasks["inner"]
		}, "components.comp-sub.dag.tasks", []string{`task "in\x00ner"`, "control character"}},
		{"newline in an output name", func(ps *spec.PipelineSpec) {
			ps.Components["comp-sub"].OutputDefinitions.Artifacts["o\nut"] = &spec.ArtifactSpec{}
		}, "components.comp-sub.outputDefinitions.artifacts", []string{`artifact "o\nut"`}},
		{"unsupported schema version", func(ps *spec.PipelineSpec) { ps.SchemaVersion = "1.0.0" },
			"schemaVersion", []string{`"1.0.0"`}},
		{"missing root", func(ps *spec.PipelineSpec) { ps.Root = nil },
			"root", []string{"no root DAG"}},
		{"root not a DAG", func(ps *spec.PipelineSpec) { ps.Root = &spec.ComponentSpec{ExecutorLabel: "exec-producer"} },
			"root.dag", []string{"must be a DAG"}},
		{"empty DAG", func(ps *spec.PipelineSpec) { ps.Root.DAG.Tasks = nil },
			"root.dag.tasks", []string{"no tasks"}},
		{"empty nested DAG", func(ps *spec.PipelineSpec) { ps.Components["comp-sub"].DAG.Tasks = map[string]*spec.TaskSpec{} },
			"components.comp-sub.dag.tasks", []string{"no tasks"}},
		{"null task", func(ps *spec.PipelineSpec) { ps.Root.DAG.Tasks["ghost"] = nil },
			"root.dag.tasks.ghost", []string{"empty task"}},
		{"unknown componentRef", func(ps *spec.PipelineSpec) { task(ps, "producer").ComponentRef.Name = "comp-nope" },
			"root.dag.tasks.producer.componentRef.name", []string{`"comp-nope"`, "not in components"}},
		{"missing componentRef", func(ps *spec.PipelineSpec) { task(ps, "producer").ComponentRef.Name = "" },
			"root.dag.tasks.producer.componentRef.name", []string{"missing"}},
		{"unknown componentRef in a sub-DAG", func(ps *spec.PipelineSpec) {
			ps.Components["comp-sub"].DAG.Tasks["inner"].ComponentRef.Name = "comp-nope"
		}, "components.comp-sub.dag.tasks.inner.componentRef.name", []string{`"comp-nope"`}},
		{"unknown dependentTasks entry", func(ps *spec.PipelineSpec) {
			task(ps, "consumer").DependentTasks = []string{"producer", "nope"}
		}, "root.dag.tasks.consumer.dependentTasks", []string{`unknown task "nope"`}},
		{"unknown producerTask (artifact)", func(ps *spec.PipelineSpec) {
			task(ps, "consumer").Inputs.Artifacts["data"].TaskOutputArtifact.ProducerTask = "nope"
		}, "root.dag.tasks.consumer.inputs.artifacts.data.taskOutputArtifact.producerTask", []string{`unknown task "nope"`}},
		{"unknown producerTask (parameter)", func(ps *spec.PipelineSpec) {
			task(ps, "producer").Inputs.Parameters["text"] = &spec.InputParameter{
				TaskOutputParameter: &spec.TaskOutputParameter{ProducerTask: "nope", OutputParameterKey: "Output"}}
		}, "root.dag.tasks.producer.inputs.parameters.text.taskOutputParameter.producerTask", []string{`unknown task "nope"`}},
		{"missing producerTask", func(ps *spec.PipelineSpec) {
			task(ps, "producer").Inputs.Parameters["text"] = &spec.InputParameter{
				TaskOutputParameter: &spec.TaskOutputParameter{OutputParameterKey: "Output"}}
		}, "root.dag.tasks.producer.inputs.parameters.text.taskOutputParameter.producerTask", []string{"missing"}},
		{"unknown taskFinalStatus producer", func(ps *spec.PipelineSpec) {
			task(ps, "producer").Inputs.Parameters["text"] = &spec.InputParameter{
				TaskFinalStatus: &spec.TaskFinalStatusRef{ProducerTask: "nope"}}
		}, "root.dag.tasks.producer.inputs.parameters.text.taskFinalStatus.producerTask", []string{`"nope"`}},
		{"own output", func(ps *spec.PipelineSpec) {
			task(ps, "consumer").Inputs.Artifacts["data"].TaskOutputArtifact.ProducerTask = "consumer"
		}, "root.dag.tasks.consumer.inputs.artifacts.data.taskOutputArtifact.producerTask", []string{"its own output"}},
		{"componentInputParameter not declared by the enclosing DAG", func(ps *spec.PipelineSpec) {
			task(ps, "producer").Inputs.Parameters["text"].ComponentInputParameter = "nope"
		}, "root.dag.tasks.producer.inputs.parameters.text.componentInputParameter", []string{`no input parameter "nope"`}},
		{"componentInputParameter of the root used in a sub-DAG", func(ps *spec.PipelineSpec) {
			// msg is a root input, not an input of comp-sub.
			ps.Components["comp-sub"].DAG.Tasks["inner"].Inputs.Parameters["text"].ComponentInputParameter = "msg"
		}, "components.comp-sub.dag.tasks.inner.inputs.parameters.text.componentInputParameter", []string{`"msg"`}},
		{"componentInputArtifact not declared", func(ps *spec.PipelineSpec) {
			task(ps, "consumer").Inputs.Artifacts["data"] = &spec.InputArtifact{ComponentInputArtifact: "nope"}
		}, "root.dag.tasks.consumer.inputs.artifacts.data.componentInputArtifact", []string{`no input artifact "nope"`}},
		{"parameter without a source", func(ps *spec.PipelineSpec) {
			task(ps, "producer").Inputs.Parameters["text"] = &spec.InputParameter{}
		}, "root.dag.tasks.producer.inputs.parameters.text", []string{"no value source"}},
		{"artifact without a source", func(ps *spec.PipelineSpec) {
			task(ps, "consumer").Inputs.Artifacts["data"] = &spec.InputArtifact{}
		}, "root.dag.tasks.consumer.inputs.artifacts.data", []string{"no artifact source"}},
		{"runtimeValue without constant", func(ps *spec.PipelineSpec) {
			task(ps, "sub").Inputs.Parameters["x"].RuntimeValue = &spec.ValueOrRuntimeParam{}
		}, "root.dag.tasks.sub.inputs.parameters.x.runtimeValue", []string{"no constant"}},
		{"executorLabel without executor", func(ps *spec.PipelineSpec) {
			delete(ps.DeploymentSpec.Executors, "exec-consumer")
		}, "components.comp-consumer.executorLabel", []string{`"exec-consumer"`, "deploymentSpec.executors"}},
		{"container without image", func(ps *spec.PipelineSpec) {
			ps.DeploymentSpec.Executors["exec-consumer"].Container.Image = ""
		}, "deploymentSpec.executors.exec-consumer.container.image", []string{"missing"}},
		{"executor of no kind", func(ps *spec.PipelineSpec) {
			ps.DeploymentSpec.Executors["exec-consumer"] = &spec.ExecutorSpec{}
		}, "deploymentSpec.executors.exec-consumer", []string{"neither a container nor an importer"}},
		{"resolver executor", func(ps *spec.PipelineSpec) {
			ps.DeploymentSpec.Executors["exec-consumer"] = &spec.ExecutorSpec{Resolver: map[string]any{}}
		}, "deploymentSpec.executors.exec-consumer", []string{"not supported"}},
		{"importer without URI", func(ps *spec.PipelineSpec) {
			ps.DeploymentSpec.Executors["exec-consumer"] = &spec.ExecutorSpec{Importer: &spec.ImporterSpec{}}
		}, "deploymentSpec.executors.exec-consumer.importer.artifactUri", []string{"missing"}},
		{"component with dag and executorLabel", func(ps *spec.PipelineSpec) {
			ps.Components["comp-sub"].ExecutorLabel = "exec-producer"
		}, "components.comp-sub", []string{"both a dag and an executorLabel"}},
		{"component with neither", func(ps *spec.PipelineSpec) {
			ps.Components["comp-consumer"].ExecutorLabel = ""
		}, "components.comp-consumer", []string{"neither a dag nor an executorLabel"}},
		{"dependency cycle", func(ps *spec.PipelineSpec) {
			task(ps, "producer").DependentTasks = []string{"consumer"}
		}, "root.dag.tasks", []string{"dependency cycle", "consumer -> producer -> consumer"}},
		{"dependency cycle through data", func(ps *spec.PipelineSpec) {
			task(ps, "sub").DependentTasks = []string{"consumer"}
			task(ps, "producer").Inputs.Parameters["text"] = &spec.InputParameter{
				TaskOutputParameter: &spec.TaskOutputParameter{ProducerTask: "sub", OutputParameterKey: "o"}}
		}, "root.dag.tasks", []string{"dependency cycle: consumer -> producer -> sub -> consumer"}},
		{"self-containing component", func(ps *spec.PipelineSpec) {
			ps.Components["comp-sub"].DAG.Tasks["again"] = &spec.TaskSpec{
				ComponentRef: spec.ComponentRef{Name: "comp-sub"},
				Inputs: &spec.TaskInputs{Parameters: map[string]*spec.InputParameter{
					"x": {ComponentInputParameter: "x"},
				}},
			}
		}, "components.comp-sub.dag.tasks.again.componentRef", []string{`component "comp-sub" contains itself`}},
		{"mutually containing components", func(ps *spec.PipelineSpec) {
			ps.Components["comp-loop"] = &spec.ComponentSpec{DAG: &spec.DAGSpec{Tasks: map[string]*spec.TaskSpec{
				"back": {ComponentRef: spec.ComponentRef{Name: "comp-sub"}, Inputs: &spec.TaskInputs{
					Parameters: map[string]*spec.InputParameter{"x": {RuntimeValue: &spec.ValueOrRuntimeParam{Constant: "c"}}}}},
			}}}
			ps.Components["comp-sub"].DAG.Tasks["loop"] = &spec.TaskSpec{ComponentRef: spec.ComponentRef{Name: "comp-loop"}}
		}, "components.comp-loop.dag.tasks.back.componentRef", []string{`"comp-sub" contains itself`}},
		{"unknown parameterType", func(ps *spec.PipelineSpec) {
			ps.Root.InputDefinitions.Parameters["msg"].ParameterType = "NUMBER_COMPLEX"
		}, "root.inputDefinitions.parameters.msg.parameterType", []string{`unknown type "NUMBER_COMPLEX"`}},
		{"missing parameterType", func(ps *spec.PipelineSpec) {
			ps.Components["comp-producer"].InputDefinitions.Parameters["text"].ParameterType = ""
		}, "components.comp-producer.inputDefinitions.parameters.text.parameterType", []string{"missing"}},
		{"unknown output parameterType", func(ps *spec.PipelineSpec) {
			ps.Components["comp-consumer"].OutputDefinitions = &spec.Interface{Parameters: map[string]*spec.ParameterSpec{
				"o": {ParameterType: "float"}}}
		}, "components.comp-consumer.outputDefinitions.parameters.o.parameterType", []string{`"float"`}},
		{"null parameter definition", func(ps *spec.PipelineSpec) { ps.Root.InputDefinitions.Parameters["msg"] = nil },
			"root.inputDefinitions.parameters.msg", []string{"empty parameter definition"}},
		{"null artifact definition", func(ps *spec.PipelineSpec) {
			ps.Components["comp-consumer"].InputDefinitions.Artifacts["data"] = nil
		}, "components.comp-consumer.inputDefinitions.artifacts.data", []string{"empty artifact definition"}},
		{"loop over a non-DAG", func(ps *spec.PipelineSpec) {
			tk := task(ps, "producer")
			tk.Inputs.Parameters["items"] = &spec.InputParameter{RuntimeValue: &spec.ValueOrRuntimeParam{Constant: []any{"a"}}}
			tk.ParameterIterator = &spec.ParameterIterator{ItemInput: "text"}
			tk.ParameterIterator.Items.InputParameter = "items"
		}, "root.dag.tasks.producer", []string{"loop task must run a DAG component"}},
		{"artifact loop over a non-DAG", func(ps *spec.PipelineSpec) {
			tk := task(ps, "consumer")
			tk.ArtifactIterator = &spec.ArtifactIterator{ItemInput: "item"}
			tk.ArtifactIterator.Items.InputArtifact = "data"
		}, "root.dag.tasks.consumer", []string{"loop task must run a DAG component"}},
		{"loop without items", func(ps *spec.PipelineSpec) {
			task(ps, "sub").ParameterIterator = &spec.ParameterIterator{ItemInput: "x"}
		}, "root.dag.tasks.sub.parameterIterator.items", []string{"raw or inputParameter"}},
		{"loop without itemInput", func(ps *spec.PipelineSpec) {
			it := &spec.ParameterIterator{}
			it.Items.Raw = `["a"]`
			task(ps, "sub").ParameterIterator = it
		}, "root.dag.tasks.sub.parameterIterator.itemInput", []string{"missing"}},
		{"loop over an input the task lacks", func(ps *spec.PipelineSpec) {
			it := &spec.ParameterIterator{ItemInput: "x"}
			it.Items.InputParameter = "nope"
			task(ps, "sub").ParameterIterator = it
		}, "root.dag.tasks.sub.parameterIterator.items.inputParameter", []string{`"nope"`}},
		{"artifact loop over an input the task lacks", func(ps *spec.PipelineSpec) {
			it := &spec.ArtifactIterator{ItemInput: "x"}
			it.Items.InputArtifact = "nope"
			task(ps, "sub").ArtifactIterator = it
		}, "root.dag.tasks.sub.artifactIterator.items.inputArtifact", []string{`"nope"`}},
		{"unknown trigger strategy", func(ps *spec.PipelineSpec) {
			task(ps, "consumer").TriggerPolicy = &spec.TriggerPolicy{Strategy: "SOMETIMES"}
		}, "root.dag.tasks.consumer.triggerPolicy.strategy", []string{`"SOMETIMES"`}},
		{"DAG output artifact selector naming an unknown subtask", func(ps *spec.PipelineSpec) {
			ps.Root.DAG.Outputs.Artifacts["result"].ArtifactSelectors[0].ProducerSubtask = "nope"
		}, "root.dag.outputs.artifacts.result", []string{`unknown producer subtask "nope"`}},
		{"nested DAG output selector naming an unknown subtask", func(ps *spec.PipelineSpec) {
			ps.Components["comp-sub"].DAG.Outputs.Artifacts["out"].ArtifactSelectors[0].ProducerSubtask = "producer"
		}, "components.comp-sub.dag.outputs.artifacts.out", []string{`unknown producer subtask "producer"`}},
		{"DAG output parameter selector naming an unknown subtask", func(ps *spec.PipelineSpec) {
			ps.Root.DAG.Outputs.Parameters = map[string]*spec.DAGOutputParameter{
				"p": {ValueFromParameter: &spec.ParameterSelector{ProducerSubtask: "nope", OutputParameterKey: "Output"}}}
		}, "root.dag.outputs.parameters.p", []string{`unknown producer subtask "nope"`}},
		{"DAG OneOf output naming an unknown subtask", func(ps *spec.PipelineSpec) {
			o := &spec.DAGOutputParameter{}
			o.ValueFromOneof = &struct {
				ParameterSelectors []spec.ParameterSelector `json:"parameterSelectors,omitempty"`
			}{ParameterSelectors: []spec.ParameterSelector{{ProducerSubtask: "producer"}, {ProducerSubtask: "nope"}}}
			ps.Root.DAG.Outputs.Parameters = map[string]*spec.DAGOutputParameter{"p": o}
		}, "root.dag.outputs.parameters.p", []string{`unknown producer subtask "nope"`}},
		{"DAG output without selector", func(ps *spec.PipelineSpec) {
			ps.Root.DAG.Outputs.Parameters = map[string]*spec.DAGOutputParameter{"p": {}}
		}, "root.dag.outputs.parameters.p", []string{"no selector"}},
		{"DAG output artifact without selector", func(ps *spec.PipelineSpec) {
			ps.Root.DAG.Outputs.Artifacts["result"].ArtifactSelectors = nil
		}, "root.dag.outputs.artifacts.result", []string{"no artifact selector"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := baseSpec(t)
			tc.mutate(ps)
			err := spec.Validate(ps)
			if err == nil {
				t.Fatal("Validate accepted the spec")
			}
			var se *spec.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a *spec.Error", err, err)
			}
			if se.Field != tc.field {
				t.Errorf("Field = %q, want %q (error: %v)", se.Field, tc.field, err)
			}
			if !strings.HasPrefix(err.Error(), tc.field+": ") {
				t.Errorf("error %q does not start with the field", err)
			}
			for _, m := range tc.msg {
				if !strings.Contains(se.Msg, m) {
					t.Errorf("message %q does not contain %q", se.Msg, m)
				}
			}
		})
	}
}

func TestValidateNil(t *testing.T) {
	if err := spec.Validate(nil); err == nil {
		t.Fatal("Validate(nil) accepted")
	}
}

// TestValidateAccepts covers forms that are valid although unusual.
func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(ps *spec.PipelineSpec)
	}{
		{"component reused by two tasks", func(ps *spec.PipelineSpec) {
			ps.Root.DAG.Tasks["producer-2"] = &spec.TaskSpec{ComponentRef: spec.ComponentRef{Name: "comp-producer"},
				Inputs: &spec.TaskInputs{Parameters: map[string]*spec.InputParameter{"text": {ComponentInputParameter: "msg"}}}}
		}},
		{"sub-DAG used twice", func(ps *spec.PipelineSpec) {
			ps.Root.DAG.Tasks["sub-2"] = &spec.TaskSpec{ComponentRef: spec.ComponentRef{Name: "comp-sub"}, DependentTasks: []string{"sub"}}
		}},
		{"loop over a DAG", func(ps *spec.PipelineSpec) {
			it := &spec.ParameterIterator{ItemInput: "x"}
			it.Items.Raw = `["a", "b"]`
			ps.Root.DAG.Tasks["sub"].ParameterIterator = it
			ps.Root.DAG.Tasks["sub"].IteratorPolicy = &spec.IteratorPolicy{ParallelismLimit: 2}
		}},
		{"runtime parameter", func(ps *spec.PipelineSpec) {
			ps.Root.DAG.Tasks["sub"].Inputs.Parameters["x"].RuntimeValue = &spec.ValueOrRuntimeParam{RuntimeParameter: "msg"}
		}},
		{"known strategies", func(ps *spec.PipelineSpec) {
			ps.Root.DAG.Tasks["consumer"].TriggerPolicy = &spec.TriggerPolicy{Strategy: spec.StrategyAllCompleted, Condition: "true"}
			ps.Root.DAG.Tasks["producer"].TriggerPolicy = &spec.TriggerPolicy{Strategy: spec.StrategyAllSucceeded}
		}},
		{"unreachable broken component", func(ps *spec.PipelineSpec) {
			// Only what the root reaches is checked.
			ps.Components["comp-unused"] = &spec.ComponentSpec{ExecutorLabel: "exec-missing"}
		}},
		{"every parameter type", func(ps *spec.PipelineSpec) {
			for _, ty := range []string{spec.TypeDouble, spec.TypeInteger, spec.TypeString, spec.TypeBoolean,
				spec.TypeList, spec.TypeStruct, spec.TypeTaskFinalStatus, spec.TypeTaskConfig} {
				ps.Root.InputDefinitions.Parameters[strings.ToLower(ty)] = &spec.ParameterSpec{ParameterType: ty, IsOptional: true}
			}
		}},
		{"diamond", func(ps *spec.PipelineSpec) {
			ps.Root.DAG.Tasks["sub"].DependentTasks = []string{"producer"}
			ps.Root.DAG.Tasks["last"] = &spec.TaskSpec{ComponentRef: spec.ComponentRef{Name: "comp-consumer"},
				DependentTasks: []string{"sub", "consumer"},
				Inputs: &spec.TaskInputs{Artifacts: map[string]*spec.InputArtifact{
					"data": {TaskOutputArtifact: &spec.TaskOutputArtifact{ProducerTask: "sub", OutputArtifactKey: "out"}}}}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := baseSpec(t)
			tc.mutate(ps)
			if err := spec.Validate(ps); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestUpstream(t *testing.T) {
	tk := &spec.TaskSpec{
		DependentTasks: []string{"c", "a"},
		Inputs: &spec.TaskInputs{
			Parameters: map[string]*spec.InputParameter{
				"p":    {TaskOutputParameter: &spec.TaskOutputParameter{ProducerTask: "b"}},
				"s":    {TaskFinalStatus: &spec.TaskFinalStatusRef{ProducerTask: "d"}},
				"k":    {ComponentInputParameter: "x"},
				"null": nil,
			},
			Artifacts: map[string]*spec.InputArtifact{
				"x":    {TaskOutputArtifact: &spec.TaskOutputArtifact{ProducerTask: "a"}},
				"null": nil,
			},
		},
	}
	if got, want := spec.Upstream(tk), []string{"a", "b", "c", "d"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Upstream = %q, want %q", got, want)
	}
	if got := spec.Upstream(&spec.TaskSpec{}); len(got) != 0 {
		t.Fatalf("Upstream of a bare task = %q", got)
	}
}

func TestSafeNames(t *testing.T) {
	for in, want := range map[string]string{
		"Train model":      "train-model",
		"  --Add__2 ":      "add-2",
		"Ünïcode name!":    "n-code-name",
		"already-safe-123": "already-safe-123",
		"!!!":              "",
	} {
		if got := spec.SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"Training data": "training_data",
		"op-1":          "op_1",
		"__X y__":       "x_y",
		"MSE":           "mse",
	} {
		if got := spec.SanitizeInputName(in); got != want {
			t.Errorf("SanitizeInputName(%q) = %q, want %q", in, got, want)
		}
	}
}

// chainSpec is a pipeline whose components nest n DAG levels deep.
func chainSpec(n int) *spec.PipelineSpec {
	ref := func(i int) spec.ComponentRef { return spec.ComponentRef{Name: fmt.Sprintf("comp-%d", i)} }
	dag := func(i int) *spec.DAGSpec {
		return &spec.DAGSpec{Tasks: map[string]*spec.TaskSpec{"t": {ComponentRef: ref(i)}}}
	}
	ps := &spec.PipelineSpec{
		PipelineInfo:   spec.PipelineInfo{Name: "deep"},
		Root:           &spec.ComponentSpec{DAG: dag(0)},
		Components:     map[string]*spec.ComponentSpec{},
		DeploymentSpec: spec.DeploymentSpec{Executors: map[string]*spec.ExecutorSpec{"exec": {Container: &spec.ContainerSpec{Image: "alpine"}}}},
	}
	for i := range n {
		ps.Components[ref(i).Name] = &spec.ComponentSpec{DAG: dag(i + 1)}
	}
	ps.Components[ref(n).Name] = &spec.ComponentSpec{ExecutorLabel: "exec"}
	return ps
}

// TestValidateNestingBound: deeply nested components are refused with an
// error instead of overflowing the stack (a fatal error in Go).
func TestValidateNestingBound(t *testing.T) {
	if err := spec.Validate(chainSpec(500)); err != nil {
		t.Fatalf("500 levels: %v", err)
	}
	err := spec.Validate(chainSpec(100000))
	var se *spec.Error
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "levels deep") || !strings.HasSuffix(se.Field, ".dag.tasks.t.componentRef") {
		t.Fatalf("100000 levels: %v", err)
	}
}

// TestValidateLongDependencyChain: a long chain of dependent tasks is not a
// cycle and does not exhaust the stack.
func TestValidateLongDependencyChain(t *testing.T) {
	ps := chainSpec(0)
	const n = 100000
	for i := 1; i < n; i++ {
		ps.Root.DAG.Tasks[fmt.Sprint("t", i)] = &spec.TaskSpec{ComponentRef: spec.ComponentRef{Name: "comp-0"},
			DependentTasks: []string{fmt.Sprint("t", i-1)}}
	}
	ps.Root.DAG.Tasks["t0"] = ps.Root.DAG.Tasks["t"]
	delete(ps.Root.DAG.Tasks, "t")
	if err := spec.Validate(ps); err != nil {
		t.Fatal(err)
	}
	ps.Root.DAG.Tasks["t0"].DependentTasks = []string{fmt.Sprint("t", n-1)}
	err := spec.Validate(ps)
	if err == nil || !strings.Contains(err.Error(), "dependency cycle: t0 -> t99999 -> t99998") {
		t.Fatalf("cycle through the chain: %.200v", err)
	}
}
