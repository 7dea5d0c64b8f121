// Package spec holds the KFP pipeline spec (IR, schemaVersion 2.1.0 and 2.0.0),
// the v1 component format and the executor input/output contract as Go types,
// with the loaders that read them from YAML, JSON, zip and tar.gz bytes and the
// validation that refuses malformed specs with an error naming the problem.
//
// The package does no I/O beyond reading the bytes it is given. The wire
// contract is described in the KFP format notes (FORMAT.md); field names here
// follow the protobuf JSON mapping (lowerCamelCase).
package spec
