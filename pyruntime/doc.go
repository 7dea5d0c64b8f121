// Package pyruntime owns everything Sluice needs to run KFP lightweight Python
// components (@dsl.component) without installing the kfp SDK.
//
// It embeds a small, pure-stdlib Python package ("python/kfp") written for
// Sluice from the executor contract in FORMAT.md §5–§6. It provides:
//
//   - kfp.dsl: the runtime names component source imports (Input, Output,
//     InputPath, OutputPath, EmbeddedInput, the artifact classes including
//     Metrics/ClassificationMetrics/SlicedClassificationMetrics,
//     PipelineTaskFinalStatus, TaskConfig, get_uri, run_notebook and the
//     placeholder constants) plus do-nothing stand-ins for the compile-time
//     API (component, pipeline, ParallelFor, If, ExitHandler, importer, ...);
//   - distutils: the standard library's where the interpreter has it, else
//     (Python 3.12+) a distutils.util with strtobool, which the programs
//     kfp 1.8 generated for v1 components call to read Boolean inputs;
//   - kfp.dsl.executor_main (and kfp.components.executor_main for kfp 2.0.x):
//     the entry point of the generated launch script. It imports the
//     component module, builds the function's arguments from the
//     ExecutorInput JSON, calls it, and writes the ExecutorOutput file.
//
// Install extracts the embedded tree to a content-addressed directory; put
// the returned path on PYTHONPATH when running the component's command.
//
// The generated command normally starts with a "sh -c <pip install ...>"
// step. SplitPipInstall removes that step and returns the requirements it
// would have installed; CheckInstalled verifies with one python3 process that
// those distributions are already present (kfp itself is provided by the
// shim). Version specifiers are not enforced: only the presence of each
// distribution is checked.
//
// Optional environment variables understood by the Python side:
//
//	SLUICE_WORKSPACE_PATH   workspace root for `_kfp_workspace` artifacts
//	                        (default /kfp-workspace)
//	SLUICE_URI_PATH_PREFIX  host directory prepended to the local paths of
//	                        gs://, s3://, minio:// and oci:// URIs
//	                        (e.g. /cache -> /cache/s3/bucket/key)
package pyruntime
