// Package tuner is the tuning service: it drives hyperparameter-tuning
// experiments (package tune) to their end. For each experiment it asks the
// lifecycle (tune.Decide) what to do, asks the search algorithm for new
// assignments, writes each new trial's row and then submits the trial's run
// — an ordinary run, through the same run service the API uses, labelled
// with its experiment and trial, with a run id derived from the two so that
// a crash between the row and the submission never makes a second run —
// watches the runs end, collects each trial's metrics (its tasks' output
// lines, also while it runs, KFP Metrics artifacts and v1
// mlpipeline-metrics), stops trials early through the normal cancel path,
// and records every change of the experiment's status.
//
// The service keeps nothing that the store does not: on start it resumes
// every experiment in progress, rebuilding the search algorithm's state from
// the stored trials (the algorithms are pure functions of them) and the
// metrics of running trials from their logs. One goroutine drives each
// experiment; it is the only writer of that experiment's trials.
//
// The same service runs inside `sluice server` and in-process for a local
// `sluice tune`. It speaks no HTTP and links none of the step machinery: it
// sees runs through the small Runs interface.
package tuner
