// Package cgroup gives each local step a control group of its own, on
// cgroup v2 or, where the host has only v1 controllers, on v1: the step's
// processes are started inside it, its memory and CPU limits are written
// there, its usage (CPU time, current and peak memory, OOM kills, I/O) is
// read there, and at its end every process in it is killed — wherever in
// the process tree they went, setsid or not — before it is removed.
//
// Host reads where the hierarchies are mounted and where this process
// sits in them (/proc/self/mountinfo, /proc/self/cgroup); New picks the
// version this process can use and prepares the parent of the step
// groups; Self reads the cgroup this process runs in (a step's container
// in a pod). Paths are read under a root directory, so tests run the
// selection and the file formats against fake trees shaped like
// /sys/fs/cgroup. docs/RESOURCES.md says what each version gives.
package cgroup
