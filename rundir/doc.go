// Package rundir is the layout of a run's directory: the one place that
// says where each thing of a run lives under its root. The engine, the
// launcher (on the server and in a pod) and, through the task records, the
// API get every run path from it.
//
//	<pipeline root>/<pipeline name>/<run id>/       the run (Run)
//	    <task path>/<output name>                    output artifacts (Task.Artifact)
//	    <task path>/executor_output.json             the ExecutorOutput the step wrote
//	    .sluice/tasks/<task path>/log.txt            the step's stdout and stderr
//	    .sluice/tasks/<task path>/outputs/<name>     output parameter files
//	    .sluice/tasks/<task path>/work/              the step's working directory
//	    .sluice/tasks/<task path>/inputs/<name>      input artifacts given as text (KFP v1 raw arguments)
//	    .sluice/tasks/<task path>/outputs.json       the outputs record of a step run by a remote launcher
//	    .sluice/workspace/                           the run's workspace
//
// A <task path> is the task's id: task keys joined by "/", with the
// iteration index inside loops. Directories cost: a step's launcher
// creates its private directory with the log, and its working directory,
// on every step; output parameters' directory when it has some; and the
// task's own directory only when the step has output artifacts or is told
// where its ExecutorOutput goes (a step that can write nothing there finds
// no directory). With a bucket pipeline root the same
// layout is kept in the bucket, and the step works on local copies at the
// KFP mount paths (/s3/bucket/key) under <scratch>/<run id>/.
package rundir
