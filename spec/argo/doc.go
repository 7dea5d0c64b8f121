// Package argo translates KFP v1 pipelines — the Argo Workflow YAML the
// kfp 1.x compiler writes (../shared/kfp/V1.md) — into KFP IR, Sluice's one
// internal model, so that the engine, cache, server, UI, CLI and executors
// run them without a second engine.
//
// Translate takes the decoded workflow document and returns the pipeline
// spec and the platform spec in the IR model (spec/ir); spec.Load
// normalizes and validates them like any compiled pipeline. Argo's textual
// placeholders become IR bindings (task outputs, DAG inputs, f-string
// constants for mixed text), `when` becomes a condition evaluated with
// govaluate semantics, withItems/withParam become parameter iterators,
// paths under /tmp/inputs and /tmp/outputs become the artifact and output
// placeholders of each step, and what IR cannot say is carried by Sluice's
// few extension fields (see ir.DAGSpec, ir.InputParameter,
// ir.InputArtifact, ir.ExecutorSpec, ir.OutputFile).
//
// spec imports this package, so it cannot import spec: of Sluice it
// imports only leaves, spec/ir (the model it writes) and internal/graph.
package argo
