// Package spec loads KFP pipelines: the pipeline spec (IR, schemaVersion
// 2.1.0 and 2.0.0, whose types are defined in spec/ir and named here by
// aliases, model.go), the v1 component format and the executor
// input/output contract, with the loaders that read them from YAML, JSON,
// zip and tar.gz bytes and the validation that refuses malformed specs
// with an error naming the problem. KFP v1 pipelines (Argo Workflows) are
// translated into the same model by spec/argo.
//
// The package does no I/O beyond reading the bytes it is given. The wire
// contract is described in the KFP format notes (FORMAT.md); field names here
// follow the protobuf JSON mapping (lowerCamelCase).
package spec
