// Package local runs jobs as processes on this machine. Each step starts
// in a clean environment (env.go), in its own process group and — where
// the host lets Sluice make one — its own cgroup (package cgroup), which
// enforces its memory and CPU limits, measures what it used and, when the
// step ends, lets every process it left behind be killed, setsid or not.
// Without cgroups (Mode Process) the step's process tree is followed
// through /proc, Sluice is its subreaper, memory limits are kept by a
// watchdog and figures come from wait4. docs/RESOURCES.md says what each
// mode gives.
package local
