package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/runstate"
)

// MaxRecursion bounds how many times a component may be entered inside
// itself (recursive pipelines, as KFP v1 graph components compile): a
// recursion whose condition never turns false fails there.
const MaxRecursion = 100

// MaxRunInstances bounds the DAG instances (sub-DAGs, loop iterations,
// recursive calls) one run may start: loops nested in loops, or a
// component that runs itself twice at every level, multiply them far
// past what MaxRecursion and plan.MaxLoopItems bound one at a time.
const MaxRunInstances = 100000

// instances counts n more DAG instances of the run and fails past its
// limit (Engine.MaxRunInstances, else MaxRunInstances).
func (r *run) instances(n int) error {
	limit := r.e.MaxRunInstances
	if limit <= 0 {
		limit = MaxRunInstances
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started+n > limit {
		return fmt.Errorf("the run would start more than %d DAG instances (loop iterations and sub-DAGs, nested): %d started, %d more asked", limit, r.started, n)
	}
	r.started += n
	return nil
}

// DeadlineError is why a deadline stopped work: a DAG's timeout (a KFP v1
// workflow's activeDeadlineSeconds) or a step's (activeDeadlineSeconds of
// its Kubernetes settings).
type DeadlineError struct {
	What    string
	Timeout time.Duration
}

func (e *DeadlineError) Error() string {
	return fmt.Sprintf("%s of %s passed", e.What, e.Timeout)
}

// stopped says how work under ctx ends when ctx is done: CANCELED when it
// was canceled, FAILED (with the *DeadlineError) when a deadline passed.
// The state is "" while ctx is live.
func stopped(ctx context.Context) (runstate.State, error) {
	if ctx.Err() == nil {
		return "", nil
	}
	var de *DeadlineError
	if errors.As(context.Cause(ctx), &de) {
		return runstate.Failed, de
	}
	return runstate.Canceled, ctx.Err()
}

// withTimeout bounds ctx by a deadline whose cause names what it is.
func withTimeout(ctx context.Context, what string, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, &DeadlineError{What: what, Timeout: d})
}

// nesting is the chain of components a task runs inside.
type nesting struct {
	comp   string
	parent *nesting
}

type nestingKey struct{}

// enter records that a task runs component comp inside ctx's chain, and
// fails when comp is already MaxRecursion levels deep.
func enter(ctx context.Context, comp string) (context.Context, error) {
	parent, _ := ctx.Value(nestingKey{}).(*nesting)
	n := 0
	for p := parent; p != nil; p = p.parent {
		if p.comp == comp {
			n++
		}
	}
	if n >= MaxRecursion {
		return ctx, fmt.Errorf("recursion deeper than %d levels: component %s keeps running itself (does its condition ever turn false?)", MaxRecursion, comp)
	}
	return context.WithValue(ctx, nestingKey{}, &nesting{comp: comp, parent: parent}), nil
}

// stepTimeout is the per-attempt deadline of a step's Kubernetes settings
// (activeDeadlineSeconds), which every executor applies; 0 when none.
func stepTimeout(platform map[string]any) time.Duration {
	var n float64
	switch v := platform["activeDeadlineSeconds"].(type) {
	case float64:
		n = v
	case string:
		n, _ = strconv.ParseFloat(v, 64)
	}
	if n <= 0 || n > 1e9 {
		return 0
	}
	return time.Duration(n * float64(time.Second))
}
