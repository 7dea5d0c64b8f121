package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/archetype"
	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
)

// Engine runs pipelines. Its zero value is not usable: set Launcher.
type Engine struct {
	Launcher *launcher.Launcher
	// Parallelism bounds how many steps run at once across all the
	// engine's runs (default: CPUs); see Slots.
	Parallelism int
	// Slots, when set, is the pool of step slots the engine's runs share
	// (default: one of Parallelism slots).
	Slots   *Slots
	slotsMu sync.Mutex
	// DefaultRoot is the pipeline root used when neither the request nor
	// the spec names a local one.
	DefaultRoot string
	// Cache, when set, serves and stores cached step outputs.
	Cache Cache
	// Archetype gives the engine its logger (warnings) and its clock.
	archetype.Archetype
	// Sleep waits between retries (default: a timer honouring ctx).
	Sleep func(ctx context.Context, d time.Duration) error
	// Artifacts, when set, is the configured artifact store: a pipeline root
	// inside it (its URI or a prefix under it) uses it; other bucket
	// pipeline roots are opened with artifact.Open.
	Artifacts artifact.Store
	// Scratch is the local directory under which runs with a bucket
	// pipeline root stage their artifacts (default: the system temp
	// directory). A run's scratch is removed when it ends.
	Scratch string
	// AllowedRoots, when not nil, are the only local directories runs may
	// be written under (a server's artifact store and
	// --allowed-pipeline-roots); nil allows any (sluice run writes where
	// its user says). See CheckPipelineRoot.
	AllowedRoots []string
	// Budget, when set, admits steps by their CPU and memory requests
	// (`--cpus`, `--memory`); it may be shared by engines.
	Budget *Budget
	// MaxRunInstances bounds the DAG instances one run may start
	// (default MaxRunInstances).
	MaxRunInstances int

	flights flights // steps running, by cache key
}

// run is the state of one run in progress.
type run struct {
	e       *Engine
	req     *Request
	ps      *spec.PipelineSpec
	dir     rundir.Run     // where the run's things are
	store   artifact.Store // the bucket of a bucket run
	system  map[string]string
	slots   chan struct{} // the run's own limit (the pipeline's parallelism); nil for none
	pool    *Slots        // the engine's slots
	noCache bool

	mu       sync.Mutex
	tasks    map[string]*Task
	order    []string
	warnings []string
	started  int // DAG instances started (see instances)

	recMu sync.Mutex              // one Recorder call at a time
	stop  context.CancelCauseFunc // ends the run when a record cannot be kept
	fatal error                   // the first RecordError (under mu)
}

// Run executes a pipeline to the end and returns its result. It returns an
// error only when the run could not start (bad parameters, unusable
// pipeline root); a run that starts always yields a Result, whose State says
// how it ended. Canceling ctx cancels the run: processes are killed and the
// run ends CANCELED.
func (e *Engine) Run(ctx context.Context, req *Request) (*Result, error) {
	if e.Launcher == nil {
		return nil, errors.New("engine: no launcher")
	}
	ps := req.Pipeline.Spec
	params, err := plan.RootParams(ps, req.Params)
	if err != nil {
		return nil, err
	}
	now := e.Now()
	if req.RunID == "" {
		req.RunID = NewID()
	}
	if req.RunName == "" {
		req.RunName = ps.PipelineInfo.Name + "-" + now.UTC().Format("20060102-150405")
	}
	if req.Created.IsZero() {
		req.Created = now
	}
	pipelineRoot := e.pipelineRoot(ps, req.PipelineRoot)
	if pipelineRoot == "" {
		return nil, errors.New("no pipeline root: set one with --pipeline-root")
	}
	if err := e.CheckPipelineRoot(ps, req.PipelineRoot); err != nil {
		return nil, err
	}
	r := &run{e: e, req: req, ps: ps, noCache: req.NoCache, tasks: map[string]*Task{}}
	if artifact.IsBucketURI(pipelineRoot) {
		st, own, err := e.storeFor(ctx, pipelineRoot)
		if err != nil {
			return nil, fmt.Errorf("pipeline root: %w", err)
		}
		if own {
			defer st.Close()
		}
		key, _ := artifact.KeyOf(st, pipelineRoot)
		pipelineRoot = st.URI(key) // canonical: no query parameters
		if key == "" {
			pipelineRoot = strings.TrimSuffix(st.URI(""), "/")
		}
		r.store, r.dir = st, rundir.Bucket(pipelineRoot, e.Scratch, ps.PipelineInfo.Name, req.RunID)
		// A resumed run starts from a clean scratch: what a killed process
		// left half-downloaded is not trusted.
		if err := r.dir.RemoveScratch(); err != nil {
			return nil, fmt.Errorf("scratch: %w", err)
		}
		defer func() { _ = r.dir.RemoveScratch() }()
	} else {
		pipelineRoot, err = filepath.Abs(strings.TrimPrefix(pipelineRoot, "file://"))
		if err != nil {
			return nil, err
		}
		r.dir = rundir.Local(pipelineRoot, ps.PipelineInfo.Name, req.RunID)
	}
	workspace := r.dir.Workspace()
	if err := r.dir.Create(); err != nil {
		return nil, fmt.Errorf("pipeline root: %w", err)
	}
	sched := req.Scheduled
	if sched.IsZero() {
		sched = req.Created
	}
	r.system = map[string]string{
		"pipeline_job_name":              req.RunName,
		"pipeline_job_resource_name":     req.RunName,
		"pipeline_job_uuid":              req.RunID,
		"pipeline_root":                  pipelineRoot,
		"pipeline_job_create_time_utc":   req.Created.UTC().Format(time.RFC3339),
		"pipeline_job_schedule_time_utc": sched.UTC().Format(time.RFC3339),
		"workspace_path":                 workspace,
	}
	r.pool = e.slots()
	if ps.Parallelism > 0 && ps.Parallelism < r.pool.Size() {
		r.slots = make(chan struct{}, ps.Parallelism)
	}
	// System placeholders in parameter values ({{$.pipeline_job_uuid}},
	// KFP v1's RUN_ID_PLACEHOLDER default) take this run's values.
	for k, v := range params {
		if s, ok := v.(string); ok {
			params[k] = plan.SubstituteSystem(s, r.system)
		}
	}
	r.warnPlatform(req.Pipeline.Platform)

	arts, err := plan.RootArtifacts(ps, req.Artifacts)
	if err != nil {
		return nil, err
	}
	res := &Result{RunID: req.RunID, PipelineRoot: pipelineRoot, RunRoot: r.dir.Root, Started: now}
	if r.dir.URI != "" {
		res.RunRoot = r.dir.URI
	}
	ctx, r.stop = context.WithCancelCause(ctx)
	defer r.stop(nil)
	out, st, err := r.dag(ctx, "", ps.Root, &plan.Scope{Params: params, Artifacts: arts})
	r.mu.Lock()
	if r.fatal != nil {
		st, err = runstate.Failed, r.fatal
	}
	r.mu.Unlock()
	res.State, res.Outputs = st, out
	if err != nil {
		res.Error = err.Error()
	}
	res.Finished = e.Now()
	r.mu.Lock()
	for _, id := range r.order {
		t := *r.tasks[id]
		res.Tasks = append(res.Tasks, &t)
	}
	res.Warnings = r.warnings
	r.mu.Unlock()
	return res, nil
}

// storeFor returns the store of a bucket pipeline root: the configured one
// when the root lies in it, else one opened from the URL (own: the caller
// closes it).
func (e *Engine) storeFor(ctx context.Context, root string) (st artifact.Store, own bool, err error) {
	if e.Artifacts != nil {
		base := e.Artifacts.URI("")
		if plain, _, _ := strings.Cut(root, "?"); plain == base || strings.TrimSuffix(plain, "/") == base {
			return e.Artifacts, false, nil
		}
		if _, ok := artifact.KeyOf(e.Artifacts, root); ok {
			return e.Artifacts, false, nil
		}
	}
	st, err = artifact.Open(ctx, root)
	return st, true, err
}

func (r *run) warn(msg string) {
	r.mu.Lock()
	r.warnings = append(r.warnings, msg)
	r.mu.Unlock()
	r.e.Log().Warn(msg)
}

func (r *run) warnPlatform(p *spec.PlatformSpec) {
	if p == nil || r.e.Launcher.Remote() {
		return // the Kubernetes executor applies them
	}
	for name, sp := range p.Platforms {
		if sp == nil {
			continue
		}
		for _, label := range slices.Sorted(maps.Keys(sp.DeploymentSpec.Executors)) {
			var keys []string
			for _, k := range slices.Sorted(maps.Keys(sp.DeploymentSpec.Executors[label])) {
				if k != "activeDeadlineSeconds" { // every executor applies it
					keys = append(keys, k)
				}
			}
			if len(keys) == 0 {
				continue
			}
			r.warn(fmt.Sprintf("%s settings of %s are not applied by the local executor: %s", name, label, strings.Join(keys, ", ")))
		}
	}
}

// record creates a task record and keeps it (for the Result too, unless
// the Recorder alone keeps records: Request.RecordOnly).
func (r *run) record(ctx context.Context, t *Task) error {
	if !r.req.RecordOnly {
		r.mu.Lock()
		r.tasks[t.ID] = t
		r.order = append(r.order, t.ID)
		r.mu.Unlock()
	}
	return r.keep(ctx, t)
}

// update changes a task record under the lock and keeps it.
func (r *run) update(ctx context.Context, t *Task, f func(t *Task)) error {
	r.mu.Lock()
	f(t)
	r.mu.Unlock()
	return r.keep(ctx, t)
}

// keep hands a copy of the task record to the Recorder. A record that
// cannot be kept ends the run: the first such error is the run's.
func (r *run) keep(ctx context.Context, t *Task) error {
	rec := r.req.Recorder
	if rec == nil {
		return nil
	}
	r.mu.Lock()
	cp := *t
	r.mu.Unlock()
	r.recMu.Lock()
	err := rec.RecordTask(context.WithoutCancel(ctx), cp)
	r.recMu.Unlock()
	if err == nil {
		return nil
	}
	err = &RecordError{Task: t.ID, Err: err}
	r.mu.Lock()
	if r.fatal == nil {
		r.fatal = err
	}
	r.mu.Unlock()
	r.stop(err)
	return err
}

// joinID is the ID of task key under parent: keys joined by "/". A key
// holding "/" (or "%") has them escaped, so that an ID splits back into
// its keys and two tasks never share an ID or a directory.
func joinID(parent, key string) string {
	key = idEscaper.Replace(key)
	if parent == "" {
		return key
	}
	return parent + "/" + key
}

var idEscaper = strings.NewReplacer("%", "%25", "/", "%2F")

// finished is a task outcome sent back to its DAG's scheduler.
type finished struct {
	key string
	res *plan.Result
	err error // why it failed
}

// dag runs the tasks of one DAG instance to the end and returns its outputs,
// its state and, when it failed, why (a *TaskError).
func (r *run) dag(ctx context.Context, id string, comp *spec.ComponentSpec, sc *plan.Scope) (plan.Outputs, runstate.State, error) {
	d := comp.DAG
	states := map[string]plan.Status{}
	results := map[string]*plan.Result{}
	done := make(chan finished)
	running := 0
	var firstErr, expired error
	graph := plan.NewGraph(d)
	body := ctx // what the DAG's own deadline bounds: all but exit tasks
	if d.TimeoutSeconds > 0 {
		var cancel context.CancelFunc
		body, cancel = withTimeout(ctx, "the deadline", time.Duration(d.TimeoutSeconds)*time.Second)
		defer cancel()
	}
	for {
		stop, stopErr := stopped(ctx)
		settled := false // a task ended without running: decide again
		for _, dec := range graph.Decide(states) {
			t := d.Tasks[dec.Task]
			exit := t.TriggerPolicy != nil && t.TriggerPolicy.Strategy == spec.StrategyAllCompleted
			if st, err := stopped(body); stop == "" && st != "" && !exit && dec.Action == plan.Start {
				stop, stopErr = st, err
			}
			switch {
			case stop == runstate.Failed && dec.Action != plan.Wait:
				// A deadline passed: what has not started does not run.
				res := &plan.Result{Status: plan.Status{State: runstate.Skipped, UpstreamFailed: true}}
				states[dec.Task], results[dec.Task] = res.Status, res
				_ = r.record(ctx, r.newTask(id, dec.Task, t, runstate.Skipped, "not run: "+stopErr.Error()))
				expired, settled = stopErr, true
			case stop == runstate.Canceled || dec.Action == plan.Cancel:
				res := &plan.Result{Status: plan.Status{State: runstate.Canceled}}
				states[dec.Task], results[dec.Task] = res.Status, res
				_ = r.record(ctx, r.newTask(id, dec.Task, t, runstate.Canceled, "")) // a failure ends the run
				settled = true
			case dec.Action == plan.SkipUpstream:
				res := &plan.Result{Status: plan.Status{State: runstate.Skipped, UpstreamFailed: true}}
				states[dec.Task], results[dec.Task] = res.Status, res
				_ = r.record(ctx, r.newTask(id, dec.Task, t, runstate.Skipped, "not run: an upstream task failed"))
				settled = true
			case dec.Action == plan.Start && d.Parallelism > 0 && running >= d.Parallelism:
				// Stays pending until a running task of this DAG ends.
			case dec.Action == plan.Start:
				states[dec.Task] = plan.Status{State: runstate.Running}
				sib := make(map[string]*plan.Result, len(results))
				for k, v := range results {
					sib[k] = v
				}
				scope := *sc
				scope.Siblings = sib
				running++
				tctx := body
				if exit {
					tctx = ctx
				}
				go func(key string) {
					res, err := r.task(tctx, id, key, t, &scope)
					done <- finished{key, res, err}
				}(dec.Task)
			}
		}
		if running == 0 {
			if settled {
				continue
			}
			break
		}
		f := <-done
		running--
		states[f.key], results[f.key] = f.res.Status, f.res
		if f.res.State == runstate.Failed && firstErr == nil {
			firstErr = f.err
			if firstErr == nil {
				firstErr = errors.New(f.res.Error)
			}
			if te := (*TaskError)(nil); !errors.As(f.err, &te) {
				firstErr = &TaskError{Task: joinID(id, f.key), Err: f.err}
			}
		}
	}
	state := plan.Outcome(states)
	stop, stopErr := stopped(ctx)
	switch {
	case stop == runstate.Failed || expired != nil:
		state = runstate.Failed
		for _, err := range []error{stopErr, expired} {
			if firstErr == nil {
				firstErr = err
			}
		}
	case state == runstate.Canceled || (stop == runstate.Canceled && state != runstate.Failed):
		state = runstate.Canceled
	}
	out := plan.DAGOutputs(d, results)
	if state != runstate.Failed {
		firstErr = nil
	}
	return out, state, firstErr
}

func (r *run) newTask(parent, key string, t *spec.TaskSpec, state runstate.State, msg string) *Task {
	name := t.TaskInfo.Name
	if name == "" {
		name = key
	}
	kind := KindContainer
	if c := r.ps.Components[t.ComponentRef.Name]; c != nil {
		switch {
		case t.ParameterIterator != nil || t.ArtifactIterator != nil:
			kind = KindLoop
		case c.DAG != nil:
			kind = KindDAG
		default:
			if ex := r.ps.DeploymentSpec.Executors[c.ExecutorLabel]; ex != nil && ex.Importer != nil {
				kind = KindImporter
			}
		}
	}
	return &Task{ID: joinID(parent, key), ParentID: parent, Key: key, Name: name, Kind: kind,
		Component: t.ComponentRef.Name, State: state, Error: msg}
}

// task runs one task of a DAG (resolving inputs and its condition first) and
// returns its outcome and, when it failed, why.
func (r *run) task(ctx context.Context, parent, key string, t *spec.TaskSpec, sc *plan.Scope) (*plan.Result, error) {
	comp := r.ps.Components[t.ComponentRef.Name]
	rec := r.newTask(parent, key, t, runstate.Pending, "")
	if err := r.record(ctx, rec); err != nil {
		return &plan.Result{Status: plan.Status{State: runstate.Canceled}}, nil // the run ends with err
	}
	fail := func(err error) (*plan.Result, error) {
		_ = r.update(ctx, rec, func(x *Task) {
			x.State, x.Error = runstate.Failed, err.Error()
			if x.Started.IsZero() {
				x.Started = r.e.Now()
			}
			x.Finished = r.e.Now()
		})
		return &plan.Result{Status: plan.Status{State: runstate.Failed}, Error: err.Error()}, err
	}
	scope := *sc
	scope.System = r.taskSystem(rec)
	scope.RunName = r.req.RunName
	in, err := plan.ResolveInputs(t, comp, &scope)
	if err != nil {
		return fail(err)
	}
	r.mu.Lock()
	rec.Inputs = &plan.Outputs{Parameters: in.Params, Artifacts: in.Artifacts}
	r.mu.Unlock()
	if t.TriggerPolicy != nil && t.TriggerPolicy.Condition != "" {
		ok, err := plan.EvalCondition(t.TriggerPolicy.Condition, in.Params)
		if err != nil {
			return fail(err)
		}
		if !ok {
			_ = r.update(ctx, rec, func(x *Task) { x.State, x.Error = runstate.Skipped, "condition is false" })
			return &plan.Result{Status: plan.Status{State: runstate.Skipped}}, nil
		}
	}
	if st, serr := stopped(ctx); st != "" {
		if st == runstate.Canceled {
			_ = r.update(ctx, rec, func(x *Task) { x.State = runstate.Canceled })
			return &plan.Result{Status: plan.Status{State: runstate.Canceled}}, nil
		}
		_ = r.update(ctx, rec, func(x *Task) { x.State, x.Error = st, serr.Error() })
		return &plan.Result{Status: plan.Status{State: st}, Error: serr.Error()}, serr
	}
	if comp.DAG != nil {
		if ctx, err = enter(ctx, t.ComponentRef.Name); err != nil {
			return fail(err)
		}
		if t.ParameterIterator == nil && t.ArtifactIterator == nil {
			if err := r.instances(1); err != nil {
				return fail(err)
			}
		}
	}
	var (
		out   plan.Outputs
		state runstate.State
	)
	switch {
	case t.ParameterIterator != nil || t.ArtifactIterator != nil:
		if err := r.update(ctx, rec, func(x *Task) { x.State, x.Started = runstate.Running, r.e.Now() }); err != nil {
			return fail(err)
		}
		out, state, err = r.loop(ctx, rec, t, comp, in)
	case comp.DAG != nil:
		if err := r.update(ctx, rec, func(x *Task) { x.State, x.Started = runstate.Running, r.e.Now() }); err != nil {
			return fail(err)
		}
		out, state, err = r.dag(ctx, rec.ID, comp, &plan.Scope{Params: in.Params, Artifacts: in.Artifacts})
	default:
		out, state, err = r.step(ctx, rec, t, comp, in, &scope)
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	_ = r.update(ctx, rec, func(x *Task) {
		x.State, x.Error, x.Finished = state, msg, r.e.Now()
		if !x.stepEnded.IsZero() {
			x.Finished = x.stepEnded
		}
		if x.Started.IsZero() {
			x.Started = x.Finished
		}
		if state == runstate.Succeeded {
			o := out
			x.Outputs = &o
		}
	})
	return &plan.Result{Status: plan.Status{State: state}, Outputs: out, Error: msg}, err
}

func (r *run) taskSystem(rec *Task) map[string]string {
	sys := make(map[string]string, len(r.system)+2)
	for k, v := range r.system {
		sys[k] = v
	}
	sys["pipeline_task_name"] = rec.Key
	sys["pipeline_task_uuid"] = r.req.RunID + "/" + rec.ID
	return sys
}

// loop runs a ParallelFor: one DAG instance per item, at most
// parallelismLimit at once, outputs collected in iteration order.
func (r *run) loop(ctx context.Context, rec *Task, t *spec.TaskSpec, comp *spec.ComponentSpec, in *plan.Inputs) (plan.Outputs, runstate.State, error) {
	type item struct {
		param any
		art   *spec.RuntimeArtifact
	}
	var items []item
	var itemInput string
	if it := t.ParameterIterator; it != nil {
		itemInput = it.ItemInput
		vals, err := plan.ParameterItems(it, in.Params)
		if err != nil {
			return plan.Outputs{}, runstate.Failed, err
		}
		for _, v := range vals {
			items = append(items, item{param: v})
		}
	} else {
		itemInput = t.ArtifactIterator.ItemInput
		for _, a := range in.Artifacts[t.ArtifactIterator.Items.InputArtifact] {
			items = append(items, item{art: a})
		}
	}
	if err := r.instances(len(items)); err != nil {
		return plan.Outputs{}, runstate.Failed, err
	}
	limit := len(items)
	if t.IteratorPolicy != nil && t.IteratorPolicy.ParallelismLimit > 0 {
		limit = t.IteratorPolicy.ParallelismLimit
	}
	sem := make(chan struct{}, max(limit, 1))
	outs := make([]plan.Outputs, len(items))
	states := make([]runstate.State, len(items))
	errs := make([]error, len(items))
	var itemType string
	if comp.InputDefinitions != nil && comp.InputDefinitions.Parameters[itemInput] != nil {
		itemType = comp.InputDefinitions.Parameters[itemInput].ParameterType
	}
	var wg sync.WaitGroup
	for i, it := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		idx := i
		iter := &Task{ID: joinID(rec.ID, fmt.Sprint(i)), ParentID: rec.ID, Key: fmt.Sprint(i),
			Name: fmt.Sprintf("%s-%d", rec.Name, i), Kind: KindIteration, Component: rec.Component,
			IterationIndex: &idx, State: runstate.Pending}
		if err := r.record(ctx, iter); err != nil || ctx.Err() != nil {
			st, serr := stopped(ctx)
			if err != nil || st == "" {
				st = runstate.Canceled
			}
			if st == runstate.Failed {
				errs[i] = serr
			}
			states[i] = st
			_ = r.update(ctx, iter, func(x *Task) { x.State = st })
			continue
		}
		params := make(map[string]any, len(in.Params)+1)
		for k, v := range in.Params {
			params[k] = v
		}
		arts := make(map[string][]*spec.RuntimeArtifact, len(in.Artifacts)+1)
		for k, v := range in.Artifacts {
			arts[k] = v
		}
		if it.art != nil {
			arts[itemInput] = []*spec.RuntimeArtifact{it.art}
		} else {
			v := it.param
			if itemType != "" {
				if c, err := plan.Coerce(v, itemType); err == nil {
					v = c
				}
			}
			params[itemInput] = v
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := r.update(ctx, iter, func(x *Task) {
				x.State, x.Started = runstate.Running, r.e.Now()
				x.Inputs = &plan.Outputs{Parameters: map[string]any{itemInput: params[itemInput]}}
			}); err != nil {
				states[idx] = runstate.Canceled // the run ends with err
				return
			}
			o, st, err := r.dag(ctx, iter.ID, comp, &plan.Scope{Params: params, Artifacts: arts})
			outs[idx], states[idx], errs[idx] = o, st, err
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			_ = r.update(ctx, iter, func(x *Task) {
				x.State, x.Error, x.Finished = st, msg, r.e.Now()
				if st == runstate.Succeeded {
					x.Outputs = &o
				}
			})
		}()
	}
	wg.Wait()
	state := runstate.Succeeded
	var err error
	for i, st := range states {
		switch {
		case st == runstate.Failed && state != runstate.Failed:
			state, err = runstate.Failed, errs[i]
		case st == runstate.Canceled && state == runstate.Succeeded:
			state = runstate.Canceled
		}
	}
	var present []plan.Outputs
	for i, o := range outs {
		if states[i] == runstate.Succeeded {
			present = append(present, o)
		}
	}
	return plan.Collect(present, comp.OutputDefinitions), state, err
}
