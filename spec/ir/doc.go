// Package ir is the KFP pipeline spec (IR, schemaVersion 2.1.0 and 2.0.0)
// as Go types: the pipeline spec document, its components, DAGs, tasks,
// bindings and executors, and the platform spec document, with the JSON
// names of the protobuf JSON mapping (lowerCamelCase). A few fields are
// Sluice extensions that KFP's IR lacks, written by the KFP v1 translation
// (DAG parallelism and timeouts, run parallelism, fallbacks, raw
// artifacts, output files, steps that need Kubernetes); each is marked
// where it is declared.
//
// It is a leaf holding the one definition of the model that spec (loading,
// validation, the stored form) and spec/argo (the translation of KFP v1
// workflows, which spec calls) both use, and of the error both return for
// a bad file (Error, naming the field); spec names every type and constant
// of it under the same name.
package ir
