// Package graph holds the graph algorithms that both the IR validation
// (spec) and the KFP v1 translation (spec/argo) need; it imports neither.
package graph
