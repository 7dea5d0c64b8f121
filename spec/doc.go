// Package spec holds the KFP pipeline spec (IR, schemaVersion 2.1.0 and 2.0.0),
// the v1 component format and the executor input/output contract as Go types,
// with the loaders that read them from YAML, JSON, zip and tar.gz bytes and the
// validation that refuses malformed specs with an error naming the problem.
// KFP v1 pipelines (Argo Workflows) are translated into the same types by
// spec/argo. A few fields are Sluice extensions that KFP's IR lacks, written
// by that translation (DAG parallelism and timeouts, run parallelism,
// fallbacks, raw artifacts, output files, steps that need Kubernetes); each
// is marked where it is declared.
//
// The package does no I/O beyond reading the bytes it is given. The wire
// contract is described in the KFP format notes (FORMAT.md); field names here
// follow the protobuf JSON mapping (lowerCamelCase).
package spec
