package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
)

// Runner executes runs stored in the store, at most MaxConcurrent at once.
type Runner struct {
	Store         store.Store
	Engine        *engine.Engine
	MaxConcurrent int
	Logger        *slog.Logger
	Now           func() time.Time
	metrics       *metrics

	sem     chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	cancels map[string]context.CancelFunc
	queued  map[string]bool
	baseCtx context.Context
	stop    context.CancelFunc
}

// Start recovers unfinished runs and starts accepting work. Runs left
// RUNNING or PENDING by a previous process resume from their completed
// steps; runs left CANCELING end CANCELED.
func (r *Runner) Start(ctx context.Context) error {
	r.sem = make(chan struct{}, max(r.MaxConcurrent, 1))
	r.cancels = map[string]context.CancelFunc{}
	r.queued = map[string]bool{}
	r.baseCtx, r.stop = context.WithCancel(context.WithoutCancel(ctx))
	ids, err := r.Store.RunsInState(ctx, runstate.Canceling)
	if err != nil {
		return fmt.Errorf("recover runs: %w", err)
	}
	for _, id := range ids {
		r.finish(ctx, id, runstate.Canceled, "canceled (the server stopped while the run was being canceled)", nil)
	}
	ids, err = r.Store.RunsInState(ctx, runstate.Pending, runstate.Running)
	if err != nil {
		return fmt.Errorf("recover runs: %w", err)
	}
	// Steps started by a previous life of the server must not run beside
	// their retries. Steps an executor runs elsewhere (pods) are not this
	// machine's processes, even when a single-node cluster's containers
	// show in its /proc: the executor adopts them instead.
	if !r.remoteSteps() {
		if n := local.KillOrphans(ids); n > 0 {
			r.logger().Warn("killed processes left by a previous server", "count", n)
		}
	}
	for _, id := range ids {
		r.logger().Info("resuming run", "run", id)
		r.enqueue(id)
	}
	return nil
}

// remoteSteps reports whether the engine's steps run under a remote
// launcher (the Kubernetes executor), not as the server's own processes.
func (r *Runner) remoteSteps() bool {
	if r.Engine == nil || r.Engine.Launcher == nil {
		return false
	}
	rl, ok := r.Engine.Launcher.Executor.(executor.RemoteLauncher)
	return ok && rl.LaunchesRemotely()
}

// executing counts the runs executing now.
func (r *Runner) executing() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return float64(len(r.cancels))
}

// Stop cancels the runs in progress and waits for them to wind down. Their
// state stays as the store has it, so that the next start resumes them.
func (r *Runner) Stop() {
	r.stop()
	r.wg.Wait()
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Submit stores a new run as PENDING and queues it.
func (r *Runner) Submit(ctx context.Context, run *store.Run) error {
	if run.ID == "" {
		run.ID = engine.NewID()
	}
	now := r.now()
	run.State = runstate.Pending
	if run.CreatedAt.IsZero() {
		run.CreatedAt = now
	}
	if run.ScheduledAt.IsZero() {
		run.ScheduledAt = run.CreatedAt
	}
	if run.StorageState == "" {
		run.StorageState = store.Available
	}
	run.StateHistory = append(run.StateHistory, store.StateChange{State: run.State, Time: now})
	if err := r.Store.CreateRun(ctx, run); err != nil {
		return err
	}
	r.enqueue(run.ID)
	return nil
}

// Terminate cancels a run: a queued run ends CANCELED at once, a running
// one goes CANCELING and ends CANCELED when its steps have stopped.
func (r *Runner) Terminate(ctx context.Context, id string) error {
	var cancel context.CancelFunc
	_, err := r.Store.UpdateRun(ctx, id, func(run *store.Run) error {
		switch run.State {
		case runstate.Succeeded, runstate.Failed, runstate.Canceled, runstate.Skipped:
			return fmt.Errorf("run %s is already %s: %w", id, run.State, store.ErrConflict)
		}
		r.mu.Lock()
		cancel = r.cancels[id]
		r.mu.Unlock()
		next := runstate.Canceled
		if cancel != nil {
			next = runstate.Canceling
		} else {
			run.FinishedAt = r.now()
		}
		run.State = next
		run.StateHistory = append(run.StateHistory, store.StateChange{State: run.State, Time: r.now()})
		return nil
	})
	if err != nil {
		return err
	}
	if cancel != nil {
		cancel()
	}
	return nil
}

// Retry starts a FAILED or CANCELED run again, in place: steps that
// succeeded keep their outputs, the rest run again.
func (r *Runner) Retry(ctx context.Context, id string) error {
	_, err := r.Store.UpdateRun(ctx, id, func(run *store.Run) error {
		switch run.State {
		case runstate.Failed, runstate.Canceled:
		default:
			return fmt.Errorf("run %s is %s: only FAILED or CANCELED runs can be retried: %w", id, run.State, store.ErrConflict)
		}
		run.State, run.Error, run.FinishedAt = runstate.Pending, "", time.Time{}
		run.StateHistory = append(run.StateHistory, store.StateChange{State: run.State, Time: r.now()})
		return nil
	})
	if err != nil {
		return err
	}
	r.enqueue(id)
	return nil
}

func (r *Runner) enqueue(id string) {
	r.mu.Lock()
	if r.queued[id] {
		r.mu.Unlock()
		return
	}
	r.queued[id] = true
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		select {
		case r.sem <- struct{}{}:
		case <-r.baseCtx.Done():
			return
		}
		defer func() { <-r.sem }()
		r.mu.Lock()
		delete(r.queued, id)
		r.mu.Unlock()
		r.execute(id)
	}()
}

// execute runs one run to its end.
func (r *Runner) execute(id string) {
	ctx, cancel := context.WithCancel(r.baseCtx)
	defer cancel()
	log := r.logger().With("run", id)
	run, err := r.Store.GetRun(ctx, id)
	if err != nil {
		log.Error("load run", "err", err)
		return
	}
	if run.State.Terminal() {
		return // terminated while queued
	}
	p, err := spec.LoadStored(run.Spec)
	if err != nil {
		r.finish(ctx, id, runstate.Failed, "the run's pipeline spec cannot be used: "+err.Error(), nil)
		return
	}
	params := map[string]any{}
	if len(run.Params) > 0 {
		if err := json.Unmarshal(run.Params, &params); err != nil {
			r.finish(ctx, id, runstate.Failed, "the run's parameters cannot be read: "+err.Error(), nil)
			return
		}
	}
	completed, err := r.completed(ctx, id)
	if err != nil {
		log.Error("load tasks", "err", err)
		return
	}
	r.mu.Lock()
	r.cancels[id] = cancel
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.cancels, id)
		r.mu.Unlock()
	}()
	if _, err := r.Store.UpdateRun(ctx, id, func(x *store.Run) error {
		if x.State != runstate.Pending && x.State != runstate.Running {
			return fmt.Errorf("run is %s", x.State)
		}
		if x.State != runstate.Running {
			x.State = runstate.Running
			x.StateHistory = append(x.StateHistory, store.StateChange{State: x.State, Time: r.now()})
		}
		return nil
	}); err != nil {
		log.Info("not starting run", "err", err)
		return
	}
	rec := &taskWriter{store: r.Store, runID: id, metrics: r.metrics}
	res, err := r.Engine.Run(ctx, &engine.Request{
		Pipeline: p, Params: params, PipelineRoot: run.PipelineRoot, RunID: id, RunName: run.DisplayName,
		NoCache: run.NoCache, Created: run.CreatedAt, Scheduled: run.ScheduledAt, Completed: completed, Recorder: rec,
	})
	if r.baseCtx.Err() != nil {
		return // the server is stopping: leave the run for the next start
	}
	if err != nil {
		r.finish(ctx, id, runstate.Failed, err.Error(), nil)
		return
	}
	r.finish(context.WithoutCancel(ctx), id, res.State, res.Error, &res.Outputs)
}

// completed returns the outputs of the run's steps that already succeeded.
func (r *Runner) completed(ctx context.Context, id string) (map[string]*plan.Outputs, error) {
	tasks, err := r.Store.ListTasks(ctx, id)
	if err != nil {
		return nil, err
	}
	out := map[string]*plan.Outputs{}
	for _, t := range tasks {
		if t.State != runstate.Succeeded || (t.Kind != engine.KindContainer && t.Kind != engine.KindImporter) || len(t.Outputs) == 0 {
			continue
		}
		var o plan.Outputs
		if err := json.Unmarshal(t.Outputs, &o); err != nil {
			continue
		}
		out[t.ID] = &o
	}
	return out, nil
}

func (r *Runner) finish(ctx context.Context, id string, state runstate.State, msg string, outputs *plan.Outputs) {
	_, err := r.Store.UpdateRun(ctx, id, func(run *store.Run) error {
		if run.State == runstate.Canceling && state != runstate.Failed {
			state = runstate.Canceled
		}
		run.State, run.Error, run.FinishedAt = state, msg, r.now()
		if outputs != nil {
			b, err := json.Marshal(outputs)
			if err == nil {
				run.Outputs = b
			}
		}
		run.StateHistory = append(run.StateHistory, store.StateChange{State: run.State, Time: run.FinishedAt, Error: msg})
		return nil
	})
	if err != nil {
		r.logger().Error("record run end", "run", id, "err", err)
		return
	}
	if r.metrics != nil {
		r.metrics.runEnded(state)
	}
}

// storeCache keeps step cache entries in the store.
type storeCache struct{ s store.Store }

func (c storeCache) Get(ctx context.Context, key string) (*plan.Outputs, bool) {
	b, ok, err := c.s.GetCacheEntry(ctx, key)
	if err != nil || !ok {
		return nil, false
	}
	var o plan.Outputs
	if json.Unmarshal(b, &o) != nil {
		return nil, false
	}
	if o.Parameters == nil {
		o.Parameters = map[string]any{}
	}
	if !engine.ArtifactsPresent(&o) {
		return nil, false
	}
	return &o, true
}

func (c storeCache) Put(ctx context.Context, key string, out *plan.Outputs) error {
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	return c.s.PutCacheEntry(ctx, key, b)
}
