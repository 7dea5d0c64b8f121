// Package executor defines the contract between the engine and the places a
// step's process runs: local processes, containers, Kubernetes pods. Each
// implementation lives in its own subpackage and passes the conformance
// suite in executor/executortest.
package executor
