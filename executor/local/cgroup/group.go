package cgroup

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// Group is one step's cgroup (in each v1 hierarchy it uses), or, from
// Self, the cgroup this process runs in.
type Group struct {
	m       *Manager
	version Version
	// dirs: "" -> the v2 directory; v1 controller -> its directory.
	dirs       map[string]string
	made       []string // directories this group created
	limits     Limits
	cpuLimited bool
	self       bool
	// parked holds the thread a v1 step was started from (see Start);
	// out is closed once that thread has left the step's groups.
	parked chan struct{}
	out    chan struct{}
}

// Version is the group's cgroup version.
func (g *Group) Version() Version { return g.version }

// CPULimited reports whether the group's CPU limit is applied (v2 needs
// the cpu controller, v1 a cpu hierarchy).
func (g *Group) CPULimited() bool { return g.cpuLimited }

// Start starts the command built by cmd inside the group. On v2 the
// process is created inside it (clone3 with CLONE_INTO_CGROUP); on a
// kernel without that it is moved in as soon as it has started. On v1 it
// is forked from a thread that was moved into the group's hierarchies
// first, so it starts inside them too: that thread stays parked, outside
// the group again, until Release (Pdeathsig is tied to the thread that
// forked).
func (g *Group) Start(build func() *exec.Cmd) (*exec.Cmd, error) {
	if g.self {
		return nil, errors.New("cgroup: Start on this process's own cgroup")
	}
	if g.version == V2 {
		return g.startV2(build)
	}
	return g.startV1(build)
}

func (g *Group) startV2(build func() *exec.Cmd) (*exec.Cmd, error) {
	dir := g.dirs[""]
	if !g.m.noClone3.Load() {
		f, err := os.Open(dir)
		if err != nil {
			return nil, err
		}
		cmd := build()
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, int(f.Fd())
		err = cmd.Start()
		f.Close()
		if err == nil || !(errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP)) {
			return cmd, err
		}
		g.m.noClone3.Store(true)
	}
	cmd := build()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if err := writeFile(dir, "cgroup.procs", strconv.Itoa(cmd.Process.Pid)); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("cgroup v2: move the step into %s: %w", dir, err)
	}
	return cmd, nil
}

func (g *Group) startV1(build func() *exec.Cmd) (*exec.Cmd, error) {
	type started struct {
		cmd *exec.Cmd
		err error
	}
	res := make(chan started, 1)
	g.parked, g.out = make(chan struct{}), make(chan struct{})
	parked, out := g.parked, g.out
	go func() {
		// The thread is never unlocked: it ends with this goroutine, so
		// no other goroutine ever runs on a thread that was in a step's
		// group.
		runtime.LockOSThread()
		tid := strconv.Itoa(syscall.Gettid())
		for _, d := range g.dirs {
			if err := writeFile(d, "tasks", tid); err != nil {
				res <- started{err: fmt.Errorf("cgroup v1: enter %s: %w", d, err)}
				return
			}
		}
		cmd := build()
		err := cmd.Start()
		if err == nil {
			res <- started{cmd, err} // the step runs from here
		}
		// Back out of the step's groups (while the step runs: each move
		// may wait for the kernel), so that they hold only the step and
		// can be removed when it ends; the thread stays for the step's
		// Pdeathsig. Kill and Remove wait for it.
		for c := range g.dirs {
			_ = writeFile(g.m.parent1[c], "tasks", tid)
		}
		close(out)
		if err != nil {
			res <- started{cmd, err}
			return
		}
		<-parked
	}()
	r := <-res
	if r.err != nil {
		return nil, r.err
	}
	return r.cmd, nil
}

// Release lets the thread a v1 step was started from end (call it when
// the step's processes have ended).
func (g *Group) Release() {
	if g.parked != nil {
		close(g.parked)
		g.parked = nil
	}
}

// Stats are a group's counters.
type Stats struct {
	// CPU is the CPU time of its processes (user + system), and User and
	// System apart when known.
	CPU, User, System time.Duration
	// Memory is the memory charged to it now; Peak the highest since it
	// was made (0 when the kernel does not say: v2 before Linux 5.19).
	Memory, Peak int64
	// OOMKills counts processes killed for going over the memory limit.
	OOMKills int64
	// ReadBytes and WriteBytes are block I/O (v2 with the io controller).
	ReadBytes, WriteBytes int64
	HasIO                 bool
	// MemoryLimit is the limit in force (0: none).
	MemoryLimit int64
}

// Stats reads the group's counters.
func (g *Group) Stats() (Stats, error) {
	var s Stats
	if g.version == V2 {
		d := g.dirs[""]
		kv, err := keyValues(d, "cpu.stat")
		if err != nil {
			return s, err
		}
		s.CPU = time.Duration(kv["usage_usec"]) * time.Microsecond
		s.User = time.Duration(kv["user_usec"]) * time.Microsecond
		s.System = time.Duration(kv["system_usec"]) * time.Microsecond
		s.Memory, _ = readInt(d, "memory.current")
		s.Peak, _ = readInt(d, "memory.peak")
		if ev, err := keyValues(d, "memory.events"); err == nil {
			s.OOMKills = ev["oom_kill"]
		}
		if lim, err := readInt(d, "memory.max"); err == nil {
			s.MemoryLimit = lim
		}
		if io, err := readIOStat(d); err == nil {
			s.ReadBytes, s.WriteBytes, s.HasIO = io[0], io[1], true
		}
		return s, nil
	}
	if d := g.dirs["cpuacct"]; d != "" {
		ns, err := readInt(d, "cpuacct.usage")
		if err != nil {
			return s, err
		}
		s.CPU = time.Duration(ns)
		if u, err := readInt(d, "cpuacct.usage_user"); err == nil {
			s.User = time.Duration(u)
			if sy, err := readInt(d, "cpuacct.usage_sys"); err == nil {
				s.System = time.Duration(sy)
			}
		}
	}
	if d := g.dirs["memory"]; d != "" {
		s.Memory, _ = readInt(d, "memory.usage_in_bytes")
		s.Peak, _ = readInt(d, "memory.max_usage_in_bytes")
		if kv, err := keyValues(d, "memory.oom_control"); err == nil {
			s.OOMKills = kv["oom_kill"]
		}
		if lim, err := readInt(d, "memory.limit_in_bytes"); err == nil && lim < 1<<62 {
			s.MemoryLimit = lim
		}
	}
	return s, nil
}

// procsDir is where the group's member list is read.
func (g *Group) procsDir() string {
	if g.version == V2 {
		return g.dirs[""]
	}
	return g.dirs["memory"]
}

// Procs lists the processes in the group.
func (g *Group) Procs() []int {
	g.waitOut()
	return ints(g.procsDir(), "cgroup.procs")
}

// Kill kills every process in the group and waits, up to a few seconds,
// until none is left; it returns the processes it signalled. On v2 it
// uses cgroup.kill (Linux 5.14), else the group is frozen (v2
// cgroup.freeze, v1 freezer), every member killed and thawed, until it is
// empty, so that no process forks its way out.
func (g *Group) Kill() ([]int, error) {
	if g.self {
		return nil, errors.New("cgroup: Kill on this process's own cgroup")
	}
	g.waitOut()
	var killed []int
	seen := map[int]bool{}
	note := func(pids []int) {
		for _, p := range pids {
			if !seen[p] {
				seen[p] = true
				killed = append(killed, p)
			}
		}
	}
	dir := g.procsDir()
	if g.version == V2 {
		note(g.Procs())
		if writeFile(dir, "cgroup.kill", "1") == nil {
			return killed, g.waitEmpty(2 * time.Second)
		}
	}
	// Usually the step left nothing: an empty group has no process that
	// could fork, so there is nothing to freeze.
	if len(g.Procs()) == 0 {
		return nil, nil
	}
	freeze, thaw := g.freezer()
	deadline := time.Now().Add(3 * time.Second)
	for {
		freeze()
		pids := g.Procs()
		note(pids)
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		thaw()
		if len(pids) == 0 {
			return killed, nil
		}
		if time.Now().After(deadline) {
			return killed, fmt.Errorf("cgroup: %s still has processes after killing them: %v", dir, pids)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// freezer returns functions that freeze and thaw the group (no-ops
// without a freezer).
func (g *Group) freezer() (freeze, thaw func()) {
	nop := func() {}
	if g.version == V2 {
		d := g.dirs[""]
		if _, err := os.Stat(filepath.Join(d, "cgroup.freeze")); err != nil {
			return nop, nop
		}
		return func() {
				if writeFile(d, "cgroup.freeze", "1") == nil {
					waitFor(d, "cgroup.events", "frozen 1", 500*time.Millisecond)
				}
			}, func() {
				_ = writeFile(d, "cgroup.freeze", "0")
			}
	}
	d := g.dirs["freezer"]
	if d == "" {
		return nop, nop
	}
	return func() {
			if writeFile(d, "freezer.state", "FROZEN") == nil {
				waitFor(d, "freezer.state", "FROZEN", 500*time.Millisecond)
			}
		}, func() {
			_ = writeFile(d, "freezer.state", "THAWED")
		}
}

func (g *Group) waitEmpty(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		pids := g.Procs()
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroup: %s still has processes after cgroup.kill: %v", g.procsDir(), pids)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitOut waits until the thread a v1 step was started from has left the
// step's groups: until then the group lists this process as a member.
func (g *Group) waitOut() {
	if g.out != nil {
		<-g.out
	}
}

// TryRemove removes the group's directories once, without waiting; on
// an error the ones left stay for Remove.
func (g *Group) TryRemove() error {
	g.waitOut()
	g.Release()
	for i := len(g.made) - 1; i >= 0; i-- {
		if err := os.Remove(g.made[i]); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		g.made = g.made[:i]
	}
	return nil
}

// Remove removes the group's directories (retrying a moment while the
// kernel lets go of processes that just ended).
func (g *Group) Remove() error {
	g.waitOut()
	g.Release()
	var errs []error
	for i := len(g.made) - 1; i >= 0; i-- {
		d := g.made[i]
		var err error
		for try := 0; try < 50; try++ {
			err = os.Remove(d)
			if err == nil || errors.Is(err, os.ErrNotExist) {
				err = nil
				break
			}
			if !errors.Is(err, syscall.EBUSY) {
				break
			}
			time.Sleep(time.Duration(try+1) * time.Millisecond)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	g.made = nil
	return errors.Join(errs...)
}

// Self is the cgroup this process runs in (in a pod: the step's
// container), for reading its Stats; it cannot be killed or removed.
func Self(h *Host) (*Group, error) {
	if h.V2 != "" {
		if _, err := os.Stat(filepath.Join(h.V2, "cpu.stat")); err == nil {
			if _, err := os.Stat(filepath.Join(h.V2, "memory.current")); err == nil {
				return &Group{version: V2, self: true, dirs: map[string]string{"": h.V2}}, nil
			}
		}
	}
	if h.V1["memory"] != "" && h.V1["cpuacct"] != "" {
		return &Group{version: V1, self: true, dirs: map[string]string{"memory": h.V1["memory"], "cpuacct": h.V1["cpuacct"]}}, nil
	}
	return nil, errors.New("cgroup: this process's cgroup has no readable memory and CPU counters")
}
