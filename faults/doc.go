// Package faults holds Sluice's fault-injection suite: real `sluice
// server` processes killed with SIGKILL at seeded random points during
// many concurrent runs (SQLite and PostgreSQL), a second server started on
// the same store, PostgreSQL stopped and started again in the middle of
// runs, and a data directory on a small tmpfs that fills up during a step
// and the state writes that follow. Each test asserts that every run
// ends terminal, that a step whose record had ended never runs again
// (steps append to a marker file), that terminal records are never
// rewritten and that nothing is lost. The seed is printed on failure and
// can be replayed with SLUICE_FAULT_SEED.
package faults
