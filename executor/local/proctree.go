package local

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Without cgroups, a step's processes are found through /proc: the
// descendants of its main process, and — because Sluice is their
// subreaper — the processes of the step orphaned when their parent ended,
// which become Sluice's children and carry the step's marker variable.
// The ones seen are remembered (with their start time, against pid
// reuse), so that a process that drops the marker is still found once
// seen.

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times (100 on
// every Linux architecture Go supports).
const clockTicks = 100

var pageSize = int64(os.Getpagesize())

// procStat is a process as /proc/PID/stat describes it.
type procStat struct {
	pid, ppid, pgrp int
	state           byte
	cpuTicks        uint64 // utime + stime + cutime + cstime
	rssPages        int64
	start           uint64 // start time since boot, in ticks
}

func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	// pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return procStat{}, false
	}
	f := strings.Fields(string(b[i+2:]))
	if len(f) < 22 {
		return procStat{}, false
	}
	n := func(k int) uint64 { v, _ := strconv.ParseUint(f[k], 10, 64); return v }
	// f[0] is field 3 (state); field k of proc(5) is f[k-3].
	s := procStat{pid: pid, state: f[0][0], rssPages: int64(n(24 - 3)), start: n(22 - 3)}
	s.ppid, s.pgrp = int(n(4-3)), int(n(5-3))
	s.cpuTicks = n(14-3) + n(15-3) + n(16-3) + n(17-3)
	return s, true
}

// children lists the children of pid, from every one of its threads.
func children(pid int) []int {
	base := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile(filepath.Join(base, t.Name(), "children"))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// hasEnv reports whether a process was started with the variable kv.
func hasEnv(pid int, kv string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	for _, e := range bytes.Split(b, []byte{0}) {
		if string(e) == kv {
			return true
		}
	}
	return false
}

var subreaper struct {
	once sync.Once
	err  error
}

// becomeSubreaper makes this process the subreaper of everything it
// starts: an orphaned descendant of a step becomes its child instead of
// init's, so it can still be found, measured (wait4) and killed.
func becomeSubreaper() error {
	subreaper.once.Do(func() {
		subreaper.err = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	})
	return subreaper.err
}

// procTree is one step's processes, found through /proc.
type procTree struct {
	main, self int
	marker     string // the step's "NAME=value" marker variable
	known      map[int]uint64
}

func newProcTree(main int, marker string) *procTree {
	return &procTree{main: main, self: os.Getpid(), marker: marker, known: map[int]uint64{main: 0}}
}

// scan returns the step's live processes and the zombies among them.
func (t *procTree) scan() (live, zombies []procStat) {
	seen := map[int]bool{}
	var queue []int
	push := func(pid int) {
		if !seen[pid] {
			seen[pid] = true
			queue = append(queue, pid)
		}
	}
	push(t.main)
	for pid := range t.known {
		push(pid)
	}
	// Orphans of the step that Sluice adopted and has not seen yet.
	for _, c := range children(t.self) {
		if _, ok := t.known[c]; !ok && !seen[c] && hasEnv(c, t.marker) {
			push(c)
		}
	}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		st, ok := readStat(pid)
		if !ok {
			delete(t.known, pid)
			continue
		}
		if start, ok := t.known[pid]; ok && start != 0 && start != st.start {
			delete(t.known, pid) // the pid was reused by another process
			continue
		}
		if pid != t.main || t.known[pid] == 0 {
			t.known[pid] = st.start
		}
		if st.state == 'Z' || st.state == 'X' {
			zombies = append(zombies, st)
			continue
		}
		live = append(live, st)
		for _, c := range children(pid) {
			push(c)
		}
	}
	return live, zombies
}

// sample is the step's memory (the sum of its processes' resident sets)
// and the CPU time of its live processes and of the children they reaped.
func (t *procTree) sample() (cpuSeconds float64, memory int64) {
	live, _ := t.scan()
	var ticks uint64
	for _, p := range live {
		memory += p.rssPages * pageSize
		ticks += p.cpuTicks
	}
	return float64(ticks) / clockTicks, memory
}

// reaped is what wait4 told of orphans Sluice reaped.
type reaped struct {
	cpuSeconds float64
	maxRSS     int64 // the largest one's, bytes
}

// killAll kills every process of the step but its main one (which its
// Wait reaps) until none is left, then reaps those that became Sluice's
// children, adding up what they used.
func (t *procTree) killAll() reaped {
	var out reaped
	fds := map[int]int{}
	deadline := nowPlus(2)
	for {
		live, zombies := t.scan()
		for _, p := range append(live, zombies...) {
			if _, ok := fds[p.pid]; !ok && p.pid != t.main {
				if fd, err := unix.PidfdOpen(p.pid, 0); err == nil {
					fds[p.pid] = fd
				}
			}
		}
		if len(live) == 0 || pastDeadline(deadline) {
			break
		}
		for _, p := range live {
			if fd, ok := fds[p.pid]; ok {
				_ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
			} else {
				_ = unix.Kill(p.pid, unix.SIGKILL)
			}
		}
		sleepMillis(1)
	}
	for _, fd := range fds {
		for try := 0; try < 20; try++ {
			var info unix.Siginfo
			var ru unix.Rusage
			err := unix.Waitid(unix.P_PIDFD, fd, &info, unix.WEXITED|unix.WNOHANG, &ru)
			if err != nil {
				break // not Sluice's child: its own parent reaps it
			}
			if info.Signo != 0 {
				out.cpuSeconds += tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
				out.maxRSS = max(out.maxRSS, ru.Maxrss*1024)
				break
			}
			sleepMillis(1)
		}
		unix.Close(fd)
	}
	return out
}

func tvSeconds(tv unix.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }

func nowPlus(seconds int) time.Time { return time.Now().Add(time.Duration(seconds) * time.Second) }
func pastDeadline(d time.Time) bool { return time.Now().After(d) }
func sleepMillis(n int)             { time.Sleep(time.Duration(n) * time.Millisecond) }
