// Package local runs jobs as local processes, each in its own process group
// so that cancellation kills the step and everything it started.
package local
