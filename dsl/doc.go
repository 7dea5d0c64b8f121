// Package dsl is Sluice's Go SDK: it declares Kubeflow Pipelines (KFP)
// pipelines in Go and compiles them to the KFP pipeline spec (IR YAML,
// schemaVersion 2.1.0) that Sluice runs and that a KFP backend accepts.
//
// A pipeline is built by calling methods on a [Pipeline]: parameters
// ([Pipeline.StringParam] and friends), tasks ([Pipeline.Task]) that run
// components ([Container], a file loaded with [LoadComponentFile], or another
// Pipeline), and control flow ([Pipeline.If], [Pipeline.ParallelFor],
// [Pipeline.ExitHandler]). Values that are known only when the pipeline runs —
// parameters, task outputs, loop items — are [Channel]s; they are passed to
// task inputs through [Inputs].
//
// Tasks are configured by chaining methods on [Task]: caching, retries,
// resources, environment, and the Kubernetes settings of kfp-kubernetes
// ([Task.UseSecretAsEnv], [Task.MountPVC], [Task.AddToleration], ...), which
// [Pipeline.YAML] writes as the second YAML document (the platform spec) as
// the KFP compiler does.
//
// Mistakes (an unknown input, a type mismatch, an output used outside its
// condition, a dependency cycle) do not panic: they are collected and
// returned together by [Pipeline.Compile], each naming the task and input.
//
// The compiled IR follows the KFP compiler's naming: components "comp-<task>",
// executors "exec-<task>", group tasks "condition-N", "for-loop-N",
// "exit-handler-N", values crossing a group border "pipelinechannel--<name>",
// every name made k8s-safe. A main package that builds a pipeline and calls
// [Main] can be compiled with `sluice compile DIR -o pipeline.yaml`.
package dsl
