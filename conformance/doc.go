// Package conformance runs the pipelines compiled by the real KFP SDK (the
// shared conformance corpus) through the engine and checks their end state
// and outputs against cases_test.go. `go test ./conformance -update` rewrites
// docs/CONFORMANCE.md from the same table.
package conformance
