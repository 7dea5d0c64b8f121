// Package server is the composition root of `sluice server`: it reads the
// configuration, opens the store, installs the Python runtime, builds the
// engine and the run queue, registers the example pipelines, and serves the
// API. The run queue (Runner) executes submitted runs with bounded
// concurrency, writes every task change to the store before the step is
// acted on, and resumes or fails unfinished runs after a restart.
package server
