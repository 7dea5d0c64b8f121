package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/usage"
)

// step runs a container or importer task: cache lookup, then attempts with
// retries and backoff, then cache store.
func (r *run) step(ctx context.Context, rec *Task, t *spec.TaskSpec, comp *spec.ComponentSpec, in *plan.Inputs, scope *plan.Scope) (plan.Outputs, runstate.State, error) {
	ex := r.ps.DeploymentSpec.Executors[comp.ExecutorLabel]
	ls := &launcher.Step{
		RunID: r.req.RunID, TaskID: rec.ID, Comp: comp, Exec: ex, Inputs: in,
		Paths: r.dir.Task(rec.ID), URIs: r.dir.TaskURI(rec.ID), System: scope.System,
		Store: r.store, Scratch: r.dir.Scratch,
		Platform: r.platform(comp.ExecutorLabel), Params: scope,
	}
	if out, ok := r.req.Completed[rec.ID]; ok && out != nil {
		now := r.e.Now()
		if err := r.update(ctx, rec, func(x *Task) { x.Started, x.Finished = now, now }); err != nil {
			return plan.Outputs{}, runstate.Failed, err
		}
		o := *out
		if o.Parameters == nil {
			o.Parameters = map[string]any{}
		}
		if err := plan.CoerceOutputs(&o, comp.OutputDefinitions); err != nil {
			return plan.Outputs{}, runstate.Failed, err
		}
		return o, runstate.Succeeded, nil
	}
	if ex.Importer != nil {
		if err := r.update(ctx, rec, func(x *Task) { x.State, x.Started = runstate.Running, r.e.Now() }); err != nil {
			return plan.Outputs{}, runstate.Failed, err
		}
		// A URI from a run parameter or another task is checked here,
		// before anything is read (a constant one was at creation).
		if uri, err := launcher.ImportURI(ls); err == nil {
			if err := r.e.CheckImportURI(rec.ID, uri); err != nil {
				return plan.Outputs{}, runstate.Failed, err
			}
		}
		out, err := r.e.Launcher.Import(ctx, ls)
		if err != nil {
			return plan.Outputs{}, runstate.Failed, err
		}
		return *out, runstate.Succeeded, nil
	}
	var err error
	if ls.Inputs, err = r.materializeRaw(ctx, ls); err != nil {
		return plan.Outputs{}, runstate.Failed, err
	}
	in = ls.Inputs
	prep, err := r.e.Launcher.Prepare(ls)
	if err != nil {
		return plan.Outputs{}, runstate.Failed, err
	}
	r.mu.Lock()
	rec.Image, rec.Argv = prep.Image, prep.Argv
	r.mu.Unlock()
	// What the step asks for: admitted against the budget, when there is
	// one (the Kubernetes scheduler admits pods itself).
	quant, err := prep.Resources.Quantities()
	if err != nil {
		return plan.Outputs{}, runstate.Failed, err
	}
	if r.e.Budget == nil && quant.Accelerators > 0 && !r.e.Launcher.Remote() {
		r.warn(fmt.Sprintf("task %s asks for an accelerator; the local executor runs it without one", rec.ID))
	}

	var key string
	useCache := r.e.Cache != nil && !r.noCache && t.CachingOptions != nil && t.CachingOptions.EnableCache
	if useCache {
		key, err = r.cacheKey(t, comp, ex, in)
		if err != nil {
			r.warn(fmt.Sprintf("task %s: cache disabled: %v", rec.ID, err))
			useCache = false
		} else {
			// One step per key at a time: a step that finds the same step
			// running elsewhere waits for it and takes its outputs.
			release, err := r.e.flights.acquire(ctx, key)
			if err != nil {
				return plan.Outputs{}, runstate.Canceled, errCanceled
			}
			defer release()
			if out, ok := r.e.Cache.Get(ctx, key); ok && plan.CoerceOutputs(out, comp.OutputDefinitions) == nil && r.inStore(ctx, out) {
				now := r.e.Now()
				if err := r.update(ctx, rec, func(x *Task) { x.Cached, x.Started, x.Finished = true, now, now }); err != nil {
					return plan.Outputs{}, runstate.Failed, err
				}
				return *out, runstate.Succeeded, nil
			}
		}
	}

	logf, logURI, err := r.e.Launcher.OpenLog(ctx, ls)
	if err != nil {
		return plan.Outputs{}, runstate.Failed, err
	}
	defer func() {
		if err := logf.Close(); err != nil {
			r.warn(fmt.Sprintf("task %s: log: %v", rec.ID, err))
		}
	}()

	maxRetries := 0
	if t.RetryPolicy != nil {
		maxRetries = t.RetryPolicy.MaxRetryCount
	}
	// The end of the log goes on the record of a step whose process ran
	// and that failed.
	tail := &logTail{}
	logw := io.MultiWriter(logf, tail)
	ran := false
	failed := func(err error) (plan.Outputs, runstate.State, error) {
		if ran {
			r.mu.Lock()
			rec.LogTail = tail.String()
			r.mu.Unlock()
		}
		return plan.Outputs{}, runstate.Failed, err
	}
	for attempt := 0; ; attempt++ {
		admitted := func() {}
		if b := r.e.Budget; b != nil {
			release, err := b.Admit(ctx, quant)
			if err != nil {
				if ctx.Err() != nil {
					if st, serr := stopped(ctx); st == runstate.Failed {
						return plan.Outputs{}, st, serr
					}
					return plan.Outputs{}, runstate.Canceled, errCanceled
				}
				return plan.Outputs{}, runstate.Failed, err
			}
			admitted = release
		}
		release, err := r.acquire(ctx)
		if err != nil { // stopped while waiting for a slot
			admitted()
			if st, serr := stopped(ctx); st == runstate.Failed {
				return plan.Outputs{}, st, serr
			}
			return plan.Outputs{}, runstate.Canceled, errCanceled
		}
		// The attempt's process starts only once its RUNNING record is kept.
		if err := r.update(ctx, rec, func(x *Task) {
			x.State, x.Attempts, x.LogURI = runstate.Running, attempt+1, logURI
			if x.Started.IsZero() {
				x.Started = r.e.Now()
			}
		}); err != nil {
			release()
			admitted()
			return plan.Outputs{}, runstate.Failed, err
		}
		if attempt > 0 {
			fmt.Fprintf(logw, "\n--- attempt %d of %d ---\n", attempt+1, maxRetries+1)
		}
		ls.Attempt = attempt + 1
		actx, cancel := ctx, context.CancelFunc(func() {})
		if d := stepTimeout(ls.Platform); d > 0 {
			actx, cancel = withTimeout(ctx, "the step's deadline", d)
		}
		out, res, err := r.e.Launcher.Run(actx, ls, prep, logw)
		_, overran := stopped(actx)
		cancel()
		r.mu.Lock()
		rec.stepEnded = r.e.Now()
		r.mu.Unlock()
		release()
		admitted()
		ran = ran || res != nil || overran != nil
		if res != nil {
			// What the executor measured goes on the task record: kept,
			// not recorded on its own; the state change that follows
			// (done, failed, or the retry's RUNNING) carries it, which
			// saves the server one task write per step.
			r.mu.Lock()
			if res.ExitCode >= 0 {
				code := res.ExitCode
				rec.ExitCode = &code
			}
			if res.Usage != nil {
				u := *res.Usage
				rec.Resources = &u
			}
			r.mu.Unlock()
			if u := res.Usage; u != nil && u.OOMKilled && err != nil && ctx.Err() == nil {
				err = &OOMError{Peak: u.PeakMemoryBytes, Limit: u.MemoryLimitBytes}
			}
		}
		if err == nil {
			if useCache {
				if perr := r.e.Cache.Put(ctx, key, out); perr != nil {
					r.warn(fmt.Sprintf("task %s: cache store: %v", rec.ID, perr))
				}
			}
			return *out, runstate.Succeeded, nil
		}
		if st, serr := stopped(ctx); st == runstate.Failed {
			return plan.Outputs{}, st, serr
		}
		if overran != nil && ctx.Err() == nil {
			err = overran // a failed attempt, retried like one
		} else if errors.Is(err, executor.ErrCanceled) || ctx.Err() != nil {
			return plan.Outputs{}, runstate.Canceled, errCanceled
		}
		var ee *launcher.ExitError
		if !errors.As(err, &ee) {
			fmt.Fprintf(logw, "sluice: %s\n", err)
		}
		if attempt >= maxRetries {
			if maxRetries > 0 {
				err = &AttemptsError{Attempts: attempt + 1, Err: err}
			}
			return failed(err)
		}
		delay := Backoff(t.RetryPolicy, attempt)
		fmt.Fprintf(logw, "sluice: attempt %d failed: %s; retrying in %s\n", attempt+1, err, delay)
		if err := r.sleep(ctx, delay); err != nil {
			if st, serr := stopped(ctx); st == runstate.Failed {
				return plan.Outputs{}, st, serr
			}
			return plan.Outputs{}, runstate.Canceled, errCanceled
		}
	}
}

// OOMError is an attempt stopped for going over its memory limit; its
// message starts with "OOMKilled" (scripts rely on it). It is retried like
// any failed attempt.
type OOMError struct{ Peak, Limit int64 }

func (e *OOMError) Error() string { return usage.OOMMessage(e.Peak, e.Limit) }

// errCanceled is the error recorded on a step stopped by the run's
// cancellation.
var errCanceled = errors.New("canceled")

// AttemptsError is a step that failed on its last retry.
type AttemptsError struct {
	Attempts int
	Err      error
}

func (e *AttemptsError) Error() string {
	return fmt.Sprintf("%v (after %d attempts)", e.Err, e.Attempts)
}
func (e *AttemptsError) Unwrap() error { return e.Err }

// platform returns the kubernetes platform settings of an executor, if
// the pipeline has any.
func (r *run) platform(label string) map[string]any {
	p := r.req.Pipeline.Platform
	if p == nil || p.Platforms["kubernetes"] == nil {
		return nil
	}
	return p.Platforms["kubernetes"].DeploymentSpec.Executors[label]
}

// inStore reports whether the bucket artifacts of cached outputs are still
// in the run's store (local ones are checked by the cache itself).
func (r *run) inStore(ctx context.Context, out *plan.Outputs) bool {
	if r.store == nil {
		return true
	}
	for _, arts := range out.Artifacts {
		for _, a := range arts {
			key, ok := artifact.KeyOf(r.store, a.URI)
			if !ok {
				continue
			}
			if found, err := r.store.Exists(ctx, key); err != nil || !found {
				return false
			}
		}
	}
	return true
}

func (r *run) sleep(ctx context.Context, d time.Duration) error {
	if r.e.Sleep != nil {
		return r.e.Sleep(ctx, d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Backoff is the delay before retry number attempt+1 (attempt counts from
// 0): backoffDuration × backoffFactor^attempt, capped by backoffMaxDuration
// (default one hour). The factor defaults to 2.
func Backoff(p *spec.RetryPolicy, attempt int) time.Duration {
	if p == nil {
		return 0
	}
	base, _ := time.ParseDuration(p.BackoffDuration)
	maxD, err := time.ParseDuration(p.BackoffMaxDuration)
	if err != nil || p.BackoffMaxDuration == "" {
		maxD = time.Hour
	}
	factor := p.BackoffFactor
	if factor <= 0 {
		factor = 2
	}
	d := float64(base) * math.Pow(factor, float64(attempt))
	if d > float64(maxD) || math.IsInf(d, 0) {
		return maxD
	}
	return time.Duration(d)
}

// acquire takes a slot for a step's attempt: the run's own (its
// pipeline's parallelism) first, then one of the engine's, which all runs
// share. It returns what frees them, or ctx's error.
func (r *run) acquire(ctx context.Context) (release func(), err error) {
	if r.slots != nil {
		select {
		case r.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	if err := r.pool.Acquire(ctx); err != nil {
		if r.slots != nil {
			<-r.slots
		}
		return nil, err
	}
	return func() {
		r.pool.Release()
		if r.slots != nil {
			<-r.slots
		}
	}, nil
}
