package tuner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/tune"
	"github.com/sluicehq/sluice/tune/earlystop"
	"github.com/sluicehq/sluice/tune/search"
)

// worker drives one experiment: the only writer of its trials. It keeps
// the experiment and its trials in memory once read (nothing else writes
// them; the experiment row is read again each step for a cancel).
type worker struct {
	s      *Service
	id     string
	log    *slog.Logger
	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}

	rec      *store.TuningExperiment
	status   tune.ExperimentStatus // as last written
	spec     []byte                // the spec exp was read from
	stored   []byte                // the pipeline spec, as stored (each trial's run gets it)
	exp      *tune.Experiment
	pipeline *spec.Pipeline
	sugg     search.Suggester
	es       earlystop.Settings
	hasES    bool
	trials   []*trialState
	byName   map[string]*trialState
	// writes counts the trial writes, so that a step that changed nothing
	// does not write the experiment either.
	writes int
	// domain is domainTrials as of domainAt writes.
	domain   []tune.Trial
	domainAt int
}

// trialState is a trial as the worker keeps it.
type trialState struct {
	rec *store.Trial
	t   tune.Trial
	// While the trial runs: its metrics so far and how far its logs were
	// read; rebuilt from the logs after a restart.
	live *live
	// terminated: the run was asked to stop in this process's life.
	terminated bool
	// checked is how many objective reports the early-stopping rule has
	// seen.
	checked int
	// rule is the Katib-compatible rule frozen at creation.
	rule *earlystop.Rule
}

func (w *worker) wake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// drive steps the experiment until it has completed with no active trial,
// or ctx ends.
func (w *worker) drive(ctx context.Context) {
	tick := time.NewTicker(w.s.cfg.Poll)
	defer tick.Stop()
	reread := true
	for {
		ended := w.s.cfg.Runs.Ended()
		done, again, err := w.step(ctx, reread)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			w.log.Error("tuning experiment step", "err", err)
			w.rec = nil // read everything again next time
		}
		if done {
			return
		}
		if again && err == nil {
			continue
		}
		// A run that ended changes nothing the experiment's row holds; a
		// kick (a cancel, an edit) or a tick reads it again.
		select {
		case <-ended:
			reread = false
		case <-w.kick:
			reread = true
		case <-tick.C:
			reread = true
		case <-ctx.Done():
			return
		}
	}
}

// load reads the experiment and its trials.
func (w *worker) load(ctx context.Context) error {
	rec, err := w.s.cfg.Store.GetTuningExperiment(ctx, w.id)
	if err != nil {
		return err
	}
	exp, err := Experiment(rec)
	if err != nil {
		return err
	}
	p, err := spec.LoadStored(rec.PipelineSpec)
	if err != nil {
		return fmt.Errorf("the experiment's pipeline: %w", err)
	}
	sugg, err := exp.Suggester(rec.Seed)
	if err != nil {
		return err
	}
	es, hasES, err := exp.EarlyStopping()
	if err != nil {
		return err
	}
	recs, err := w.s.cfg.Store.ListTrials(ctx, w.id, store.TrialListOptions{Curves: true})
	if err != nil {
		return err
	}
	status, err := Status(rec)
	if err != nil {
		return err
	}
	w.rec, w.status, w.spec, w.stored, w.exp, w.pipeline, w.sugg, w.es, w.hasES = rec, status, rec.Spec, rec.PipelineSpec, exp, p, sugg, es, hasES
	w.trials, w.byName, w.domain = nil, map[string]*trialState{}, nil
	for _, r := range recs {
		if err := w.add(r); err != nil {
			return err
		}
	}
	return nil
}

func (w *worker) add(r *store.Trial) error {
	t, err := Trial(r)
	if err != nil {
		return err
	}
	ts := &trialState{rec: r, t: t}
	if len(r.Rule) > 0 {
		var rule earlystop.Rule
		if json.Unmarshal(r.Rule, &rule) == nil {
			ts.rule = &rule
		}
	}
	w.trials = append(w.trials, ts)
	w.byName[r.Name] = ts
	return nil
}

// save writes a trial as the worker now has it.
func (w *worker) save(ctx context.Context, ts *trialState) error {
	got := *ts.rec
	got.ExperimentID = w.id
	if err := w.s.cfg.Store.SaveTrial(ctx, &got); err != nil {
		return err
	}
	ts.rec = &got
	t, err := Trial(&got)
	if err != nil {
		return err
	}
	ts.t = t
	w.writes++
	w.s.notify()
	return nil
}

// domainTrials is the lifecycle's view of the trials (without those being
// deleted), built again only after a trial changed. Callers must not
// change it.
func (w *worker) domainTrials() []tune.Trial {
	if w.domain != nil && w.domainAt == w.writes {
		return w.domain
	}
	out := make([]tune.Trial, 0, len(w.trials))
	for _, ts := range w.trials {
		if ts.rec.Stop != StopDeleted {
			out = append(out, ts.t)
		}
	}
	w.domain, w.domainAt = out, w.writes
	return out
}

func active(state string) bool {
	return state == "" || tune.TrialState(state).Active()
}

// canceled is the condition of an experiment canceled by its user.
var canceled = tune.Condition{Type: tune.ConditionFailed, Reason: "ExperimentCanceled", Message: "Experiment was canceled"}

// step looks at the experiment's runs once and acts: it records the trials
// whose runs ended, stops trials early, asks the lifecycle what to do,
// creates and kills trials, and records the status. done: the experiment
// has completed and no trial of it is active; again: step once more now.
func (w *worker) step(ctx context.Context, reread bool) (done, again bool, err error) {
	if w.rec == nil || !bytes.Equal(w.rec.Spec, w.spec) {
		if err := w.load(ctx); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return true, false, nil // deleted
			}
			return false, false, err
		}
	} else if reread {
		rec, err := w.s.cfg.Store.GetTuningExperiment(ctx, w.id)
		if errors.Is(err, store.ErrNotFound) {
			return true, false, nil
		}
		if err != nil {
			return false, false, err
		}
		if !bytes.Equal(rec.Spec, w.spec) {
			// The budget was edited: read everything again.
			if err := w.load(ctx); err != nil {
				return false, false, err
			}
		} else {
			w.rec = rec
		}
	}
	writes := w.writes
	var ids []string
	for _, ts := range w.trials {
		if active(ts.rec.State) {
			ids = append(ids, ts.rec.RunID)
		}
	}
	states, err := w.s.cfg.Store.RunStates(ctx, ids)
	if err != nil {
		return false, false, err
	}
	for _, ts := range slices.Clone(w.trials) {
		if active(ts.rec.State) {
			var st *store.RunState
			if x, ok := states[ts.rec.RunID]; ok {
				st = &x
			}
			if err := w.follow(ctx, ts, st); err != nil {
				return false, false, err
			}
		}
	}
	status := &w.status
	cond := status.Condition()
	if w.rec.CancelRequested && !cond.Completed() {
		cond = canceled
	}
	if !cond.Completed() && w.hasES {
		if err := w.earlyStop(ctx); err != nil {
			return false, false, err
		}
	}
	opts := tune.Options{Exhausted: w.rec.Exhausted}
	if w.rec.SuggestionError != "" {
		opts.SuggestionError = errors.New(w.rec.SuggestionError)
	}
	d := tune.Decide(w.exp, cond, w.domainTrials(), opts)
	exhausted, suggErr := w.rec.Exhausted, w.rec.SuggestionError
	if d.Create > 0 {
		res, err := w.sugg.Suggest(ctx, w.exp.SearchTrials(w.domainTrials()), d.Create)
		switch {
		case ctx.Err() != nil:
			return false, false, ctx.Err()
		case err != nil:
			suggErr = oneLine(err.Error())
		default:
			if res.Exhausted {
				exhausted = true
			}
			if err := w.create(ctx, res.Suggestions); err != nil {
				return false, false, err
			}
		}
		if exhausted != w.rec.Exhausted || suggErr != w.rec.SuggestionError {
			// The algorithm's end or failure may end the experiment.
			opts.Exhausted = exhausted
			if suggErr != "" {
				opts.SuggestionError = errors.New(suggErr)
			}
			d = tune.Decide(w.exp, cond, w.domainTrials(), opts)
			again = true
		}
		// New trials change the counts, not the decision: Apply counts
		// the trials itself.
		d.Create = 0
	}
	for _, name := range d.Kill {
		if err := w.stopTrial(ctx, w.byName[name], StopKilled, "the experiment ended: "+d.Condition.Reason); err != nil {
			return false, false, err
		}
	}
	for _, name := range d.Delete {
		if err := w.stopTrial(ctx, w.byName[name], StopDeleted, "parallelTrialCount was lowered"); err != nil {
			return false, false, err
		}
	}
	before := status.Condition()
	status.Apply(d, w.domainTrials(), w.s.cfg.Now())
	after := status.Condition()
	if d.Condition.Type == tune.ConditionRestarting {
		again = true
	}
	if w.writes == writes && before == after && exhausted == w.rec.Exhausted && suggErr == w.rec.SuggestionError {
		// Nothing changed: the status stays as stored.
		return w.finished(after), again, nil
	}
	statusJSON, err := json.Marshal(status)
	if err != nil {
		return false, false, err
	}
	completed := time.Time{}
	if after.Completed() {
		completed = w.rec.CompletedAt
		if completed.IsZero() {
			completed = w.s.cfg.Now()
		}
	}
	p := store.TuningProgress{Condition: string(after.Type), Status: statusJSON, Exhausted: exhausted, SuggestionError: suggErr, CompletedAt: completed}
	if err := w.s.cfg.Store.SetTuningStatus(ctx, w.id, p); err != nil {
		return false, false, err
	}
	w.rec.Condition, w.rec.Status, w.rec.Exhausted, w.rec.SuggestionError, w.rec.CompletedAt = p.Condition, p.Status, p.Exhausted, p.SuggestionError, p.CompletedAt
	w.log.Debug("step", "condition", after.Type, "counts", fmt.Sprintf("%+v", d.Counts), "kill", d.Kill)
	w.s.notify()
	if before != after && w.s.cfg.OnCondition != nil {
		w.s.cfg.OnCondition(w.id, after)
	}
	if after != before {
		w.log.Info("tuning experiment condition", "condition", after.Type, "reason", after.Reason)
	}
	return w.finished(after), again, nil
}

// finished says whether the experiment has completed with no active trial.
func (w *worker) finished(c tune.Condition) bool {
	if !c.Completed() {
		return false
	}
	for _, ts := range w.trials {
		if active(ts.rec.State) {
			return false
		}
	}
	return true
}

// create stores new trials from suggestions (rows first, all at once) and
// then submits their runs.
func (w *worker) create(ctx context.Context, sugs []search.Suggestion) error {
	if len(sugs) == 0 {
		return nil
	}
	now := w.s.cfg.Now()
	var rule []byte
	if w.hasES && w.es.KatibCompat {
		var succeeded []earlystop.Curve
		for _, ts := range w.trials {
			if ts.rec.State == string(tune.TrialSucceeded) {
				succeeded = append(succeeded, earlystop.Curve{Trial: ts.rec.Name, Values: Curve(ts.rec)})
			}
		}
		if r, ok := earlystop.KatibRule(w.es, w.exp.Direction(), succeeded); ok {
			rule, _ = json.Marshal(r)
		}
	}
	var recs []*store.Trial
	for i, sg := range sugs {
		seq := w.rec.NextTrial + i
		name := TrialName(w.exp.Metadata.Name, w.id, seq)
		as, err := json.Marshal(tune.Assignments(sg.Assignment))
		if err != nil {
			return err
		}
		recs = append(recs, &store.Trial{Name: name, Seq: seq, State: string(tune.TrialCreated),
			Reason: tune.TrialCreated.Reason(), Assignments: as, Labels: sg.Labels, Rule: rule,
			RunID: RunID(w.id, name), CreatedAt: now})
	}
	if err := w.s.cfg.Store.CreateTrials(ctx, w.id, recs); err != nil {
		return err
	}
	w.writes++
	w.rec.NextTrial += len(recs)
	for _, r := range recs {
		if err := w.add(r); err != nil {
			return err
		}
	}
	w.s.notify()
	for _, r := range recs {
		ts := w.byName[r.Name]
		if w.s.cfg.OnTrial != nil {
			w.s.cfg.OnTrial(w.id, ts.t)
		}
		if err := w.submit(ctx, ts); err != nil {
			return err
		}
	}
	return nil
}

// submit submits a trial's run (again, after a crash: its id is the
// trial's, so a run already stored is found, not duplicated). Arguments
// that do not fit the pipeline fail the trial.
func (w *worker) submit(ctx context.Context, ts *trialState) error {
	args, err := w.exp.RunArguments(ts.rec.Name, ts.t.Assignments)
	var params map[string]any
	if err == nil {
		params, err = plan.ParseRootParams(w.pipeline.Spec, args)
	}
	if err != nil {
		return w.finishWithout(ctx, ts, tune.TrialFailed, "the trial's arguments do not fit the pipeline: "+oneLine(err.Error()))
	}
	pj, err := json.Marshal(params)
	if err != nil {
		return err
	}
	run := &store.Run{
		ID:                ts.rec.RunID,
		DisplayName:       ts.rec.Name,
		Description:       fmt.Sprintf("Trial %s of tuning experiment %s.", ts.rec.Name, w.exp.Metadata.Name),
		PipelineID:        w.rec.PipelineID,
		PipelineVersionID: w.rec.PipelineVersionID,
		Spec:              w.stored,
		Params:            pj,
		PipelineRoot:      w.rec.PipelineRoot,
		NoCache:           w.rec.NoCache,
		Labels:            map[string]string{LabelExperiment: w.id, LabelTrial: ts.rec.Name},
	}
	if err := w.s.cfg.Runs.Submit(ctx, run); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return fmt.Errorf("submit the run of trial %s: %w", ts.rec.Name, err)
	}
	return nil
}

// follow looks at an active trial's run: submits it if a crash came
// between the trial's row and its run, marks the trial Running, reads its
// metrics so far, asks again for a stop that a crash interrupted, and
// records the trial's end when its run has ended.
func (w *worker) follow(ctx context.Context, ts *trialState, run *store.RunState) error {
	if run == nil {
		if ts.rec.Stop != "" {
			return w.finishWithout(ctx, ts, tune.TrialKilled, ts.rec.Message)
		}
		return w.submit(ctx, ts)
	}
	if run.State.Terminal() {
		return w.finish(ctx, ts, run)
	}
	if ts.rec.State != string(tune.TrialRunning) && run.State != runstate.Pending {
		ts.rec.State, ts.rec.Reason = string(tune.TrialRunning), tune.TrialRunning.Reason()
		if ts.rec.StartedAt.IsZero() {
			ts.rec.StartedAt = w.s.cfg.Now()
		}
		if err := w.save(ctx, ts); err != nil {
			return err
		}
	}
	if ts.rec.Stop != "" && !ts.terminated && run.State != runstate.Canceling {
		return w.terminate(ctx, ts)
	}
	if w.hasES && run.State == runstate.Running {
		if err := w.collect(ctx, ts, false); err != nil {
			w.log.Warn("read a running trial's metrics", "trial", ts.rec.Name, "err", err)
		}
	}
	return nil
}

func (w *worker) terminate(ctx context.Context, ts *trialState) error {
	err := w.s.cfg.Runs.Terminate(ctx, ts.rec.RunID)
	if err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("cancel the run of trial %s: %w", ts.rec.Name, err)
	}
	ts.terminated = true
	return nil
}

// stopTrial records why an active trial stops, then cancels its run
// through the run service.
func (w *worker) stopTrial(ctx context.Context, ts *trialState, why, msg string) error {
	if ts == nil || !active(ts.rec.State) {
		return nil
	}
	if ts.rec.Stop == "" {
		ts.rec.Stop, ts.rec.Message = why, msg
		if err := w.save(ctx, ts); err != nil {
			return err
		}
	}
	if ts.terminated {
		return nil
	}
	states, err := w.s.cfg.Store.RunStates(ctx, []string{ts.rec.RunID})
	if err != nil {
		return err
	}
	run, ok := states[ts.rec.RunID]
	if !ok {
		return w.finishWithout(ctx, ts, tune.TrialKilled, msg)
	}
	if run.State.Terminal() {
		return w.finish(ctx, ts, &run)
	}
	if run.State == runstate.Canceling {
		ts.terminated = true
		return nil
	}
	return w.terminate(ctx, ts)
}

// finishWithout ends a trial that has no run.
func (w *worker) finishWithout(ctx context.Context, ts *trialState, state tune.TrialState, msg string) error {
	if ts.rec.Stop == StopDeleted {
		return w.drop(ctx, ts)
	}
	ts.rec.State, ts.rec.Reason, ts.rec.Message = string(state), state.Reason(), msg
	ts.rec.CompletedAt = w.s.cfg.Now()
	if err := w.save(ctx, ts); err != nil {
		return err
	}
	w.ended(ts)
	return nil
}

// drop removes a deleted trial.
func (w *worker) drop(ctx context.Context, ts *trialState) error {
	if err := w.s.cfg.Store.DeleteTrial(ctx, w.id, ts.rec.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	w.writes++
	delete(w.byName, ts.rec.Name)
	for i, x := range w.trials {
		if x == ts {
			w.trials = append(w.trials[:i], w.trials[i+1:]...)
			break
		}
	}
	w.s.notify()
	return nil
}

// finish records the end of a trial whose run has ended: its metrics, its
// final state and its steps' timings.
func (w *worker) finish(ctx context.Context, ts *trialState, run *store.RunState) error {
	if ts.rec.Stop == StopDeleted {
		return w.drop(ctx, ts)
	}
	if err := w.collect(ctx, ts, true); err != nil {
		w.log.Warn("read a trial's metrics", "trial", ts.rec.Name, "err", err)
	}
	l := ts.live
	obs := l.c.Observation()
	var outcome tune.RunOutcome
	switch {
	case run.State == runstate.Succeeded:
		outcome = tune.RunSucceeded
	case run.State == runstate.Canceled && ts.rec.Stop == StopEarly:
		outcome = tune.RunEarlyStopped
	case run.State == runstate.Canceled && ts.rec.Stop == StopKilled:
		outcome = tune.RunKilled
	default:
		outcome = tune.RunFailed
	}
	state := w.exp.FinalState(outcome, &obs)
	msg := ts.rec.Message
	switch state {
	case tune.TrialSucceeded:
		msg = ""
	case tune.TrialMetricsUnavailable:
		msg = w.unavailable(l)
	case tune.TrialFailed:
		msg = run.Error
		if run.State == runstate.Canceled {
			msg = "the trial's run was canceled"
		}
	}
	ob, err := json.Marshal(obs)
	if err != nil {
		return err
	}
	curve := w.exp.Curve(ts.rec.Name, l.c.Logs()).Values
	if len(curve) > maxCurve {
		curve = curve[:maxCurve]
	}
	cj, _ := json.Marshal(curve)
	tj, _ := json.Marshal(l.tasks)
	ts.rec.State, ts.rec.Reason, ts.rec.Message = string(state), state.Reason(), oneLine(msg)
	ts.rec.Observation, ts.rec.Curve, ts.rec.Tasks = ob, cj, tj
	if ts.rec.StartedAt.IsZero() {
		ts.rec.StartedAt = run.CreatedAt
	}
	ts.rec.CompletedAt = run.FinishedAt
	if ts.rec.CompletedAt.IsZero() {
		ts.rec.CompletedAt = w.s.cfg.Now()
	}
	if err := w.save(ctx, ts); err != nil {
		return err
	}
	ts.live = nil
	w.ended(ts)
	return nil
}

// maxCurve bounds the objective reports kept with a trial.
const maxCurve = 10000

func (w *worker) ended(ts *trialState) {
	if w.s.cfg.OnTrial != nil {
		w.s.cfg.OnTrial(w.id, ts.t)
	}
}

// unavailable says why a trial that succeeded has no objective value.
func (w *worker) unavailable(l *live) string {
	obj := w.exp.Spec.Objective.ObjectiveMetricName
	msg := fmt.Sprintf("the run succeeded without reporting the objective metric %q", obj)
	if names := l.seenNames(); len(names) > 0 {
		msg += fmt.Sprintf(" (its Metrics artifacts logged: %s)", joinLimited(names, 10))
	}
	return msg
}

// earlyStop applies the early-stopping rule to the running trials' reports
// so far.
func (w *worker) earlyStop(ctx context.Context) error {
	dir := w.exp.Direction()
	var completed []earlystop.Curve
	if !w.es.KatibCompat {
		for _, ts := range w.trials {
			if ts.rec.State == string(tune.TrialSucceeded) {
				completed = append(completed, earlystop.Curve{Trial: ts.rec.Name, Values: Curve(ts.rec)})
			}
		}
	}
	for _, ts := range w.trials {
		if ts.rec.State != string(tune.TrialRunning) || ts.rec.Stop != "" || ts.live == nil {
			continue
		}
		values := w.exp.Curve(ts.rec.Name, ts.live.c.Logs()).Values
		var stop *earlystop.Stop
		if w.es.KatibCompat {
			if ts.rule != nil {
				if st, ok := ts.rule.Check(earlystop.Curve{Trial: ts.rec.Name, Values: values}); ok {
					stop = &st
				}
			}
		} else {
			// The rule as published holds at every report: look at each
			// report since the last look.
			for s := ts.checked + 1; s <= len(values) && stop == nil; s++ {
				stops := earlystop.MedianStop(w.es, dir, completed, []earlystop.Curve{{Trial: ts.rec.Name, Values: values[:s]}})
				if len(stops) > 0 {
					stop = &stops[0]
				}
			}
		}
		ts.checked = len(values)
		if stop != nil {
			w.log.Info("stopping a trial early", "trial", ts.rec.Name, "rule", stop.Message)
			if err := w.stopTrial(ctx, ts, StopEarly, stop.Message); err != nil {
				return err
			}
		}
	}
	return nil
}
