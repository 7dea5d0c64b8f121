package engine

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"syscall"

	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/usage"
)

// Budget is the CPU and memory the steps of every run an Engine drives may
// ask for together (`--cpus`, `--memory`): a step is admitted when its
// request (executor.Quantities.CPU and Memory: the request, else the
// limit) fits in what the running steps leave, and waits otherwise. A step
// that asks for more than the whole budget, or for an accelerator the
// budget does not have, fails at once. A step that asks for nothing is
// always admitted (as Kubernetes schedules best-effort pods). Steps that
// wait are admitted as room frees, whichever fits first: a big step can
// wait while smaller ones pass it.
//
// A Budget is safe for concurrent use and may be shared by engines.
type Budget struct {
	// CPU is in cores and Memory in bytes; zero means no bound.
	CPU    float64
	Memory int64
	// Accelerators is how many accelerators steps may use together (zero
	// locally: a step asking for one is refused).
	Accelerators int64

	mu      sync.Mutex
	cpu     float64
	mem     int64
	acc     int64
	running int
	changed chan struct{} // closed when room frees
}

// AdmissionError is a step that can never be admitted: it asks for more
// than the whole budget.
type AdmissionError struct{ Msg string }

func (e *AdmissionError) Error() string { return e.Msg }

// Admit waits until the step's request fits and takes it; release gives
// it back. It returns an *AdmissionError at once when the request can
// never fit, and ctx's error when ctx ends first.
func (b *Budget) Admit(ctx context.Context, q executor.Quantities) (release func(), err error) {
	cpu, mem, acc := q.CPU(), q.Memory(), q.Accelerators
	switch {
	case acc > b.Accelerators && b.Accelerators == 0:
		return nil, &AdmissionError{fmt.Sprintf("the step asks for %d %s and this machine has no accelerator the local executor can give (run it on Kubernetes)", acc, acceleratorName(q))}
	case acc > b.Accelerators:
		return nil, &AdmissionError{fmt.Sprintf("the step asks for %d %s, more than the %d of the budget", acc, acceleratorName(q), b.Accelerators)}
	case b.CPU > 0 && cpu > b.CPU+1e-9:
		return nil, &AdmissionError{fmt.Sprintf("the step asks for %g CPUs, more than the whole budget of %g (--cpus)", cpu, b.CPU)}
	case b.Memory > 0 && mem > b.Memory:
		return nil, &AdmissionError{fmt.Sprintf("the step asks for %s of memory, more than the whole budget of %s (--memory)", usage.Bytes(mem), usage.Bytes(b.Memory))}
	}
	for {
		b.mu.Lock()
		if (b.CPU <= 0 || b.cpu+cpu <= b.CPU+1e-9) && (b.Memory <= 0 || b.mem+mem <= b.Memory) && b.acc+acc <= b.Accelerators {
			b.cpu += cpu
			b.mem += mem
			b.acc += acc
			b.running++
			b.mu.Unlock()
			var once sync.Once
			return func() { once.Do(func() { b.give(cpu, mem, acc) }) }, nil
		}
		if b.changed == nil {
			b.changed = make(chan struct{})
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (b *Budget) give(cpu float64, mem, acc int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cpu -= cpu
	b.mem -= mem
	b.acc -= acc
	b.running--
	if b.running == 0 { // no drift from float sums
		b.cpu, b.mem, b.acc = 0, 0, 0
	}
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
}

// InUse is what the admitted steps hold now.
func (b *Budget) InUse() (cpu float64, memory int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cpu, b.mem
}

func acceleratorName(q executor.Quantities) string {
	if q.AcceleratorType != "" {
		return q.AcceleratorType
	}
	return "accelerator"
}

// MachineBudget is this machine's CPUs and memory, the default budget of
// `sluice run` and `sluice server` with the local executor.
func MachineBudget() *Budget {
	b := &Budget{CPU: float64(runtime.NumCPU())}
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) == nil {
		b.Memory = int64(si.Totalram) * int64(si.Unit)
	}
	return b
}
