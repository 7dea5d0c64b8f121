// Package runner is the run service: the one owner of a run's life. It
// stores a submitted run as PENDING, queues it (at most MaxConcurrent
// execute at once), executes it with the engine, terminates, retries and
// waits for runs, and on start resumes the runs a previous process left
// unfinished.
//
// Every write of a run's or a task's state goes through this package
// (record.go): run transitions here, task transitions as the engine's
// Recorder, which commits each task row before the engine acts on it.
// The API, the scheduler of recurring runs and tuning experiments all
// submit and control runs through a Service; none of them writes run state
// themselves.
package runner
