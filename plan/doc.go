// Package plan holds the pure rules of pipeline execution: which tasks of a
// DAG are ready, skipped or done given their siblings' states; how a task's
// inputs resolve from its parent's inputs and its siblings' outputs; how
// conditions (CEL), loop items and DAG outputs (including OneOf and loop
// collection) are computed; how values are coerced to their declared types.
//
// Nothing here has clocks, goroutines, processes or storage: the engine
// gathers the facts, asks plan what follows, and acts.
package plan
