// Package component turns a Python function into a KFP component file, as
// `sluice component from-python FILE.py:FUNC` does.
//
// Extract runs python3 on an embedded stdlib-only script (signature.py)
// that parses the file with ast — nothing in the file is imported or run —
// and classifies the function's annotations the way the KFP SDK does for
// @dsl.component: str/int/float/bool/list/dict (and List[...], Dict[...],
// Optional[...]) are parameters; Input[T], bare artifact classes and
// InputPath(...) are input artifacts; Output[T] and OutputPath(...) are
// outputs; the return annotation (a type or a NamedTuple) gives the outputs
// named "Output" or after the tuple's fields. Defaults make inputs optional.
//
// Build writes what the SDK's compiler writes for such a component: an IR
// PipelineSpec (schemaVersion 2.1.0) with one component, its executor (the
// pip step, the launch script running kfp.dsl.executor_main, the function
// source) and a root DAG of one task, in PyYAML's layout (yaml.go), so that
// kfp.components.load_component_from_file loads it, Sluice's launcher runs
// it with its embedded runtime, and the real KFP runtime runs it too.
package component
