// Package tune is the model of a hyperparameter-tuning experiment: Katib's
// Experiment resource (kubeflow.org/v1beta1) as hand-written Go types, with
// Sluice's trial-template extension (each trial is a run of a pipeline), the
// short command-line form of an experiment, metrics collection (stdout lines,
// metrics files, KFP Metrics artifacts, v1 mlpipeline-metrics) reduced to a
// trial's observation, the experiment lifecycle (when it ends, how many trials
// to start, which to kill, the best trial so far) and the status shapes the API
// and `sluice tune --json` print.
//
// The package is pure: it reads no files, opens no connections, starts no
// goroutines and reads no clock (times are passed in). The search space, the
// search algorithms and the early-stopping rule live in tune/space,
// tune/search and tune/earlystop; algorithm.go converts to and from them. The
// wiring to runs, the store, the API and the CLI lives with those.
//
// The reference is the Katib notes (TUNING.md §1, §4); docs/TUNING.md
// documents the experiment file, the extension and the differences from Katib.
package tune
