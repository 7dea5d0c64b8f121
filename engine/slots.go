package engine

import (
	"context"
	"runtime"
)

// Slots is a pool of step slots: a step holds one while its process runs
// (an attempt, not its retries' backoff). One pool is shared by all the
// runs of an engine, so that a server's --parallelism bounds the steps
// running at once across all its runs; a pipeline's own parallelism and a
// ParallelFor's parallelismLimit bound them further within their run.
// Other admission checks (a CPU or memory budget) can wrap or join it.
type Slots struct{ ch chan struct{} }

// NewSlots returns a pool of n slots (n < 1: the number of CPUs).
func NewSlots(n int) *Slots {
	if n < 1 {
		n = runtime.NumCPU()
	}
	return &Slots{ch: make(chan struct{}, n)}
}

// Acquire waits for a free slot, or for ctx to end (its error).
func (s *Slots) Acquire(ctx context.Context) error {
	select {
	case s.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Release frees a slot Acquire took.
func (s *Slots) Release() { <-s.ch }

// Size is the number of slots.
func (s *Slots) Size() int { return cap(s.ch) }

// InUse is the number of slots held now.
func (s *Slots) InUse() int { return len(s.ch) }

// slots is the engine's pool: Slots, or one of Parallelism slots made on
// first use.
func (e *Engine) slots() *Slots {
	e.slotsMu.Lock()
	defer e.slotsMu.Unlock()
	if e.Slots == nil {
		e.Slots = NewSlots(e.Parallelism)
	}
	return e.Slots
}
