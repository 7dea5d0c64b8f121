// Package usage is what one attempt of a step used — CPU time, the peak
// memory of its whole process tree, wall time, bytes read and written,
// whether it was killed for memory — with its sampled CPU and memory
// series, as one value. It is a leaf: the executor that measured the
// attempt fills a Usage (executor.Result.Usage), and the same value is the
// one field that carries it on the engine's task record, the store's row,
// the API's wire.Task and `sluice run --json`. docs/RESOURCES.md says how
// each executor measures it.
package usage
