package local

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/sluicehq/sluice/launch"
)

// KillOrphans kills the processes left running by steps of the given runs,
// found by the launch.EnvRunID variable in their environment. A server that
// restarts after a crash calls it before resuming those runs, so that no
// step of a previous life keeps running beside its retry. It returns how
// many processes it killed. Only processes of the current user can be seen
// and killed; elsewhere than Linux it finds nothing.
func KillOrphans(runIDs []string) int {
	if len(runIDs) == 0 {
		return 0
	}
	want := map[string]bool{}
	for _, id := range runIDs {
		want[launch.EnvRunID+"="+id] = true
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	self := os.Getpid()
	killed := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if want[string(kv)] {
				if syscall.Kill(pid, syscall.SIGKILL) == nil {
					killed++
				}
				break
			}
		}
	}
	return killed
}
