// Package pycomponent turns a Python function into a KFP component file, as
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
//
// ExtractV1 and BuildV1 (`from-python --v1`) do the same for kfp 1.8's
// func_to_container_op / create_component_from_func: a v1 component YAML
// (name, inputs, outputs, a container running a generated argparse
// program), byte for byte what kfp 1.8 writes. The Python side
// (v1_docstring.py, v1_source.py, signature_v1.py, run as one program)
// rebuilds the annotations from the syntax tree as the builtin, typing and
// InputPath/OutputPath objects they name and applies kfp 1.8's rules to
// them: type names, defaults serialized as Python would, docstrings read as
// docstring_parser reads them, annotations stripped from the source with
// lib2to3's rules. The Go side (v1.go, v1helpers.go) assembles the program
// and writes the YAML with the emitter's kfp 1.8 mode: ordered mappings,
// flow style for collections of plain scalars, the program as a literal
// block. The tests hold the output against the corpus's kfp 1.8 files and,
// where installed, against PyYAML and lib2to3 themselves.
package pycomponent
