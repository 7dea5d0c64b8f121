package local

import (
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/executor/local/cgroup"
	"github.com/sluicehq/sluice/usage"
)

// A box is how one step's processes are contained and measured.
type box interface {
	// start starts the step's main process.
	start(build func() *exec.Cmd) (*exec.Cmd, error)
	// sample reads the step's cumulative CPU seconds and its memory now.
	sample() (cpuSeconds float64, memory int64)
	// end kills what the step left once its main process has ended and
	// returns what it used.
	end(ps *os.ProcessState, smp *usage.Sampler) *usage.Usage
	// watchdog, when not nil, is checked on every sample: it stops a step
	// over its memory limit where nothing else does (Process mode).
	watchdog() func(memory int64)
	close()
}

func (e *Executor) newBox(mode Mode, q executor.Quantities, marker string) (box, error) {
	switch mode {
	case Cgroup1, Cgroup2:
		g, err := e.mgr.NewGroup(cgroup.Limits{MemoryBytes: q.MemoryLimit, CPU: q.CPULimit})
		if err != nil {
			return nil, err
		}
		return &cgroupBox{g: g, q: q}, nil
	case Container:
		if e.self != nil {
			return &selfBox{g: e.self}, nil
		}
	case Plain:
		return &plainBox{}, nil
	}
	return &procBox{q: q, marker: marker}, nil
}

// watch samples the step every interval until stop is closed (more often
// when a watchdog needs it), feeding the series.
func (e *Executor) watchBox(b box, smp *usage.Sampler, stop <-chan struct{}, every time.Duration) {
	tick := every
	dog := b.watchdog()
	if dog != nil {
		tick = min(every, 100*time.Millisecond)
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	next := time.Now().Add(every)
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			cpu, mem := b.sample()
			if dog != nil {
				dog(mem)
			}
			if !now.Before(next) {
				smp.Add(cpu, mem)
				next = next.Add(every)
			}
		}
	}
}

// rusageOf is the wait4 figures of the main process (with the children it
// waited for).
func rusageOf(ps *os.ProcessState) (cpu float64, maxRSS, read, written int64) {
	if ps == nil {
		return 0, 0, 0, 0
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return ps.UserTime().Seconds() + ps.SystemTime().Seconds(), 0, 0, 0
	}
	cpu = float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6 + float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
	return cpu, ru.Maxrss * 1024, ru.Inblock * 512, ru.Oublock * 512
}

// cgroupBox is a step in a cgroup of its own.
type cgroupBox struct {
	g *cgroup.Group
	q executor.Quantities
}

func (b *cgroupBox) start(build func() *exec.Cmd) (*exec.Cmd, error) { return b.g.Start(build) }

func (b *cgroupBox) sample() (float64, int64) {
	s, err := b.g.Stats()
	if err != nil {
		return 0, 0
	}
	return s.CPU.Seconds(), s.Memory
}

func (b *cgroupBox) watchdog() func(int64) { return nil }

func (b *cgroupBox) end(ps *os.ProcessState, smp *usage.Sampler) *usage.Usage {
	killed, _ := b.g.Kill()
	reapAdopted(killed)
	b.g.Release()
	s, _ := b.g.Stats()
	cpu, maxRSS, read, written := rusageOf(ps)
	u := &usage.Usage{CPUSeconds: s.CPU.Seconds(), PeakMemoryBytes: s.Peak, ReadBytes: read, WriteBytes: written,
		OOMKilled: s.OOMKills > 0, MemoryLimitBytes: b.q.MemoryLimit, Method: b.g.Version().String(), Samples: smp.Series()}
	if u.CPUSeconds == 0 {
		u.CPUSeconds = cpu
	}
	if u.PeakMemoryBytes == 0 { // v2 before Linux 5.19 has no memory.peak
		u.PeakMemoryBytes = max(smp.Peak(), s.Memory, maxRSS)
	}
	if s.HasIO {
		u.ReadBytes, u.WriteBytes = s.ReadBytes, s.WriteBytes
	}
	if b.g.CPULimited() {
		u.CPULimit = b.q.CPULimit
	}
	return u
}

// close removes the group: at once when the kernel lets it, else (it may
// take a moment to let go of processes that just ended) off the step's
// path.
func (b *cgroupBox) close() {
	if b.g.TryRemove() != nil {
		go func() { _ = b.g.Remove() }()
	}
}

// reapAdopted reaps the killed processes that became this process's
// children (when it is a subreaper): each is a zombie that holds its pid,
// so the pid is still that process's.
func reapAdopted(pids []int) {
	self := os.Getpid()
	for _, pid := range pids {
		for try := 0; try < 20; try++ {
			st, ok := readStat(pid)
			if !ok || st.ppid != self {
				break
			}
			if st.state == 'Z' {
				var ws syscall.WaitStatus
				_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// procBox is a step followed through /proc (no cgroup).
type procBox struct {
	q      executor.Quantities
	marker string
	tree   *procTree

	mu   sync.Mutex
	peak int64
	oom  bool
}

func (b *procBox) start(build func() *exec.Cmd) (*exec.Cmd, error) {
	cmd := build()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b.tree = newProcTree(cmd.Process.Pid, b.marker)
	return cmd, nil
}

func (b *procBox) sample() (float64, int64) {
	cpu, mem := b.tree.sample()
	b.mu.Lock()
	b.peak = max(b.peak, mem)
	b.mu.Unlock()
	return cpu, mem
}

func (b *procBox) watchdog() func(int64) {
	if b.q.MemoryLimit <= 0 {
		return nil
	}
	return func(mem int64) {
		if mem <= b.q.MemoryLimit {
			return
		}
		b.mu.Lock()
		b.oom = true
		b.mu.Unlock()
		live, _ := b.tree.scan()
		for _, p := range live {
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
	}
}

func (b *procBox) end(ps *os.ProcessState, smp *usage.Sampler) *usage.Usage {
	r := b.tree.killAll()
	cpu, maxRSS, read, written := rusageOf(ps)
	b.mu.Lock()
	defer b.mu.Unlock()
	return &usage.Usage{CPUSeconds: cpu + r.cpuSeconds, PeakMemoryBytes: max(maxRSS, r.maxRSS, b.peak, smp.Peak()),
		ReadBytes: read, WriteBytes: written, OOMKilled: b.oom, MemoryLimitBytes: b.q.MemoryLimit,
		Method: usage.Process, Samples: smp.Series()}
}

func (b *procBox) close() {}

// selfBox is a step measured by the cgroup this process runs in: the
// step's container in a pod, where the launcher runs the step.
type selfBox struct {
	g      *cgroup.Group
	before cgroup.Stats
}

func (b *selfBox) start(build func() *exec.Cmd) (*exec.Cmd, error) {
	b.before, _ = b.g.Stats()
	cmd := build()
	return cmd, cmd.Start()
}

func (b *selfBox) sample() (float64, int64) {
	s, err := b.g.Stats()
	if err != nil {
		return 0, 0
	}
	return (s.CPU - b.before.CPU).Seconds(), s.Memory
}

func (b *selfBox) watchdog() func(int64) { return nil }

func (b *selfBox) end(ps *os.ProcessState, smp *usage.Sampler) *usage.Usage {
	s, _ := b.g.Stats()
	cpu, maxRSS, read, written := rusageOf(ps)
	u := &usage.Usage{CPUSeconds: (s.CPU - b.before.CPU).Seconds(), PeakMemoryBytes: max(s.Peak, smp.Peak(), maxRSS),
		ReadBytes: read, WriteBytes: written, OOMKilled: s.OOMKills > b.before.OOMKills, MemoryLimitBytes: s.MemoryLimit,
		Method: usage.PodCgroup2, Samples: smp.Series()}
	if b.g.Version() == cgroup.V1 {
		u.Method = usage.PodCgroup1
	}
	if s.HasIO {
		u.ReadBytes, u.WriteBytes = s.ReadBytes-b.before.ReadBytes, s.WriteBytes-b.before.WriteBytes
	}
	if u.CPUSeconds <= 0 {
		u.CPUSeconds = cpu
	}
	return u
}

func (b *selfBox) close() {}

// plainBox only starts the step; its figures are wait4's.
type plainBox struct{}

func (plainBox) start(build func() *exec.Cmd) (*exec.Cmd, error) {
	cmd := build()
	return cmd, cmd.Start()
}
func (plainBox) sample() (float64, int64) { return 0, 0 }
func (plainBox) watchdog() func(int64)    { return nil }
func (plainBox) close()                   {}
func (plainBox) end(ps *os.ProcessState, _ *usage.Sampler) *usage.Usage {
	cpu, maxRSS, read, written := rusageOf(ps)
	return &usage.Usage{CPUSeconds: cpu, PeakMemoryBytes: maxRSS, ReadBytes: read, WriteBytes: written, Method: "wait4"}
}
