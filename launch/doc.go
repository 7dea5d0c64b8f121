// Package launch is the contract between Sluice and a step's process: the
// launch description (Spec) the in-step launcher reads when an executor
// runs a step on another machine (sluice-launch in a Kubernetes pod), the
// launcher binary's name and exit code, and the names of the environment
// variables a step is given. It is a leaf, so that executors, the launcher
// and the Python runtime's documentation name these in one place.
package launch
