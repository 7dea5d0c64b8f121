package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/tune"
	"github.com/sluicehq/sluice/tuner"
	"github.com/sluicehq/sluice/wire"
)

// Tuning is what the API needs from the tuning service.
type Tuning interface {
	// Create stores a checked experiment and starts it.
	Create(ctx context.Context, req *tuner.Request) (*store.TuningExperiment, error)
	// Cancel ends an experiment that has not completed.
	Cancel(ctx context.Context, id string) error
	// Delete removes an experiment, its trials and their runs.
	Delete(ctx context.Context, id string) error
	// UpdateBudget changes an experiment's trial counts.
	UpdateBudget(ctx context.Context, id string, b tuner.Budget) (*store.TuningExperiment, error)
}

var tuningKeys = aliases{"experiment_id": "id", "display_name": "name"}

func (s *server) tuningRoutes() {
	const p = sluicePrefix + "/tuning/experiments"
	s.mux.Handle("POST "+p, s.rpc(s.createTuning))
	s.mux.Handle("GET "+p, s.rpc(s.listTuning))
	s.mux.Handle("GET "+p+"/{id}", s.rpc(s.getTuning))
	s.mux.Handle("DELETE "+p+"/{id}", s.rpc(s.deleteTuning))
	s.mux.Handle("PATCH "+p+"/{id}", s.rpc(s.updateTuning))
	s.mux.Handle("POST "+p+"/{action}", s.rpc(s.tuningAction))
	s.mux.Handle("GET "+p+"/{id}/trials", s.rpc(s.listTrials))
	s.mux.Handle("GET "+p+"/{id}/optimal", s.rpc(s.optimalTrial))
	s.mux.HandleFunc("GET "+p+"/{id}/events", s.tuningEvents)
}

func (s *server) tuning() (Tuning, error) {
	if s.cfg.Tuning == nil {
		return nil, errorf(codeUnimplemented, "this server does not run tuning experiments")
	}
	return s.cfg.Tuning, nil
}

// createTuning creates an experiment from a JSON request
// (wire.CreateTuningExperimentRequest), whose experiment is the Katib
// Experiment as a JSON object or its YAML as a string.
func (s *server) createTuning(r *http.Request) (any, error) {
	tun, err := s.tuning()
	if err != nil {
		return nil, err
	}
	var in wire.CreateTuningExperimentRequest
	b, err := readBody(r, s.cfg.MaxUploadBytes)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, invalidf("empty request body: expected {\"experiment\": …} (a Katib Experiment as JSON, or its YAML as a string)")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, invalidf("malformed request: %v (expected {\"experiment\", \"pipeline_spec\", \"pipeline_root\", \"no_cache\", \"seed\"})", jsonErrText(err))
	}
	data := []byte(in.Experiment)
	var text string
	if json.Unmarshal(in.Experiment, &text) == nil {
		data = []byte(text)
	}
	if len(bytes.TrimSpace(data)) == 0 || string(bytes.TrimSpace(data)) == "null" {
		return nil, invalidf("experiment: required: a Katib Experiment (apiVersion %s, kind %s)", tune.APIVersion, tune.Kind)
	}
	e, err := tune.Load(data)
	if err != nil {
		return nil, err
	}
	req := &tuner.Request{Experiment: e, PipelineRoot: strings.TrimSpace(in.PipelineRoot), NoCache: in.NoCache, Seed: in.Seed}
	ref := e.Spec.TrialTemplate.Pipeline
	switch {
	case !isEmptyJSON(in.PipelineSpec):
		if ref.File == "" {
			return nil, invalidf("pipeline_spec: given, but spec.trialTemplate.pipeline names the stored pipeline %q: send one of them", ref.Name)
		}
		p, err := loadSpecValue(in.PipelineSpec, "pipeline_spec")
		if err != nil {
			return nil, err
		}
		req.Pipeline = p
	case ref.File != "":
		return nil, invalidf("spec.trialTemplate.pipeline.file: the server cannot read %q: send the pipeline as pipeline_spec (`sluice tune submit` does), or name a pipeline stored on the server ({name: PIPELINE, version: VERSION})", ref.File)
	default:
		v, err := s.pipelineVersionByName(r.Context(), ref.Name, ref.Version)
		if err != nil {
			return nil, err
		}
		p, err := loadSpecValue(v.Spec, fmt.Sprintf("spec of pipeline version %q", v.ID))
		if err != nil {
			return nil, err
		}
		req.Pipeline, req.PipelineID, req.PipelineVersionID = p, v.PipelineID, v.ID
	}
	if req.Pipeline != nil {
		// The trials' runs write under the same root: refused now, not
		// trial by trial.
		if err := s.checkRoot(&source{pipeline: req.Pipeline}, req.PipelineRoot); err != nil {
			return nil, invalidf("%s", strings.Replace(err.Error(), "runtime_config.pipeline_root", "pipeline_root", 1))
		}
	}
	rec, err := tun.Create(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return s.tuningView(r.Context(), rec, nil)
}

// pipelineVersionByName finds a stored pipeline by name (or id) and its
// version by name (or id); no version: the latest.
func (s *server) pipelineVersionByName(ctx context.Context, name, version string) (*store.PipelineVersion, error) {
	const f = "spec.trialTemplate.pipeline"
	pl, err := s.st.GetPipelineByName(ctx, "", name)
	if errors.Is(err, store.ErrNotFound) {
		pl, err = s.st.GetPipeline(ctx, name)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalidf("%s.name: no pipeline named %q on this server", f, name)
	}
	if err != nil {
		return nil, err
	}
	if version == "" {
		v, err := s.st.LatestPipelineVersion(ctx, pl.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, invalidf("%s.name: the pipeline %q has no versions", f, name)
		}
		return v, err
	}
	page, err := s.st.ListPipelineVersions(ctx, pl.ID, store.ListOptions{PageSize: 1,
		Filter: []store.Predicate{{Key: "display_name", Op: store.OpEquals, Value: version}}})
	if err != nil {
		return nil, err
	}
	if len(page.Items) == 0 {
		page, err = s.st.ListPipelineVersions(ctx, pl.ID, store.ListOptions{PageSize: 1,
			Filter: []store.Predicate{{Key: "name", Op: store.OpEquals, Value: version}}})
		if err != nil {
			return nil, err
		}
	}
	if len(page.Items) > 0 {
		return page.Items[0], nil
	}
	v, err := s.st.GetPipelineVersion(ctx, version)
	if err == nil && v.PipelineID == pl.ID {
		return v, nil
	}
	return nil, invalidf("%s.version: the pipeline %q has no version %q", f, name, version)
}

func (s *server) listTuning(r *http.Request) (any, error) {
	opts, err := listOptions(r.URL.Query(), tuningKeys)
	if err != nil {
		return nil, err
	}
	page, err := s.st.ListTuningExperiments(r.Context(), opts)
	if err != nil {
		return nil, err
	}
	out := wire.ListTuningExperimentsResponse{TotalSize: page.TotalSize}
	out.Experiments, out.NextPageToken, err = pageItems(page, func(rec *store.TuningExperiment, _ int) (wire.TuningExperiment, int, error) {
		v, err := s.tuningView(r.Context(), rec, nil)
		return v, 0, err
	})
	if err != nil {
		return nil, err
	}
	if out.Experiments == nil {
		out.Experiments = []wire.TuningExperiment{}
	}
	return out, nil
}

func (s *server) getTuningRecord(r *http.Request) (*store.TuningExperiment, error) {
	id := r.PathValue("id")
	if id == "" {
		id, _ = splitAction(r)
	}
	rec, err := s.st.GetTuningExperiment(r.Context(), id)
	if err != nil {
		return nil, notFound(err, "tuning experiment", id)
	}
	return rec, nil
}

// getTuningView is the request's experiment as the API shows it.
func (s *server) getTuningView(r *http.Request) (wire.TuningExperiment, error) {
	rec, err := s.getTuningRecord(r)
	if err != nil {
		return wire.TuningExperiment{}, err
	}
	trials, err := s.st.ListTrials(r.Context(), rec.ID, store.TrialListOptions{})
	if err != nil {
		return wire.TuningExperiment{}, err
	}
	return s.tuningView(r.Context(), rec, trials)
}

func (s *server) getTuning(r *http.Request) (any, error) {
	return s.getTuningView(r)
}

func (s *server) listTrials(r *http.Request) (any, error) {
	rec, err := s.getTuningRecord(r)
	if err != nil {
		return nil, err
	}
	e, err := tuner.Experiment(rec)
	if err != nil {
		return nil, err
	}
	recs, err := s.st.ListTrials(r.Context(), rec.ID, store.TrialListOptions{})
	if err != nil {
		return nil, err
	}
	out := wire.ListTuningTrialsResponse{Trials: []wire.TuningTrial{}}
	for _, t := range recs {
		if t.Stop == tuner.StopDeleted {
			continue
		}
		w, err := toWireTrial(e, t)
		if err != nil {
			return nil, err
		}
		out.Trials = append(out.Trials, w)
	}
	return out, nil
}

// optimalTrial is the current optimal trial: {"best_trial": …}, null while
// no trial has an objective value.
func (s *server) optimalTrial(r *http.Request) (any, error) {
	v, err := s.getTuningView(r)
	if err != nil {
		return nil, err
	}
	return struct {
		BestTrial *wire.TuningTrial `json:"best_trial"`
	}{v.BestTrial}, nil
}

func (s *server) deleteTuning(r *http.Request) (any, error) {
	tun, err := s.tuning()
	if err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	if err := tun.Delete(r.Context(), id); err != nil {
		return nil, notFound(err, "tuning experiment", id)
	}
	return empty{}, nil
}

// updateTuning edits an experiment's budget: {"max_trial_count",
// "parallel_trial_count", "max_failed_trial_count"} (each optional).
func (s *server) updateTuning(r *http.Request) (any, error) {
	tun, err := s.tuning()
	if err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	b, err := readBody(r, s.cfg.MaxUploadBytes)
	if err != nil {
		return nil, err
	}
	var in wire.TuningBudget
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, invalidf("malformed request: %v (expected {\"max_trial_count\", \"parallel_trial_count\", \"max_failed_trial_count\"})", jsonErrText(err))
	}
	if in.MaxTrialCount == nil && in.ParallelTrialCount == nil && in.MaxFailedTrialCount == nil {
		return nil, invalidf("nothing to change: give max_trial_count, parallel_trial_count or max_failed_trial_count")
	}
	rec, err := tun.UpdateBudget(r.Context(), id, tuner.Budget{MaxTrialCount: in.MaxTrialCount,
		ParallelTrialCount: in.ParallelTrialCount, MaxFailedTrialCount: in.MaxFailedTrialCount})
	if err != nil {
		return nil, notFound(err, "tuning experiment", id)
	}
	return s.tuningView(r.Context(), rec, nil)
}

// tuningAction serves POST /tuning/experiments/{id}:cancel.
func (s *server) tuningAction(r *http.Request) (any, error) {
	id, verb := splitAction(r)
	if verb != "cancel" {
		return nil, methodNotAllowed(r, "GET, PATCH, DELETE; POST {id}:cancel")
	}
	tun, err := s.tuning()
	if err != nil {
		return nil, err
	}
	if err := tun.Cancel(r.Context(), id); err != nil {
		return nil, notFound(err, "tuning experiment", id)
	}
	return empty{}, nil
}

// tuningView is an experiment as the API serves it; with its trials, also
// its best trial and what the cache saved.
func (s *server) tuningView(ctx context.Context, rec *store.TuningExperiment, trials []*store.Trial) (wire.TuningExperiment, error) {
	w := wire.TuningExperiment{ID: rec.ID, Name: rec.Name, Namespace: rec.Namespace, Condition: rec.Condition,
		CreatedAt: tsPtr(rec.CreatedAt), CompletedAt: tsPtr(rec.CompletedAt), PipelineID: rec.PipelineID,
		PipelineVersionID: rec.PipelineVersionID, Spec: rawOrNil(rec.Spec), Status: rawOrNil(rec.Status)}
	st, err := tuner.Status(rec)
	if err != nil {
		return w, err
	}
	c := st.Condition()
	w.Reason, w.Message = c.Reason, c.Message
	e, err := tuner.Experiment(rec)
	if err != nil {
		return w, err
	}
	if trials == nil {
		// A list: the optimal trial as the status has it, without reading
		// the trials.
		if ot := st.CurrentOptimalTrial; ot != nil {
			bt := &wire.TuningTrial{Name: ot.BestTrialName, State: string(tune.TrialSucceeded),
				Parameters: e.TypedAssignments(ot.ParameterAssignments), ParameterAssignments: wireAssignments(ot.ParameterAssignments)}
			if v, ok := e.ObjectiveValue(&ot.Observation); ok {
				bt.Objective = &v
			}
			bt.Observation, _ = json.Marshal(ot.Observation)
			w.BestTrial = bt
		}
		return w, nil
	}
	ts, err := tuner.Trials(trials)
	if err != nil {
		return w, err
	}
	if b := tune.BestTrial(e, ts); b != nil {
		for _, t := range trials {
			if t.Name == b.Trial.Name {
				bt, err := toWireTrial(e, t)
				if err != nil {
					return w, err
				}
				w.BestTrial = &bt
			}
		}
	}
	sv := tuner.CacheSavings(trials)
	w.Cache = &wire.TuningCache{SavedSeconds: sv.Saved.Seconds(), CachedSteps: sv.CachedSteps, Steps: sv.Steps, UnmeasuredSteps: sv.Unknown}
	return w, nil
}

func wireAssignments(as []tune.ParameterAssignment) []wire.Assignment {
	out := make([]wire.Assignment, 0, len(as))
	for _, a := range as {
		out = append(out, wire.Assignment{Name: a.Name, Value: a.Value})
	}
	return out
}

func toWireTrial(e *tune.Experiment, rec *store.Trial) (wire.TuningTrial, error) {
	t, err := tuner.Trial(rec)
	if err != nil {
		return wire.TuningTrial{}, err
	}
	w := wire.TuningTrial{Name: rec.Name, State: string(t.State), Reason: rec.Reason, Message: rec.Message,
		Parameters: e.TypedAssignments(t.Assignments), ParameterAssignments: wireAssignments(t.Assignments),
		Observation: rawOrNil(rec.Observation), RunID: rec.RunID, Labels: rec.Labels,
		CreatedAt: tsPtr(rec.CreatedAt), StartedAt: tsPtr(rec.StartedAt), CompletedAt: tsPtr(rec.CompletedAt)}
	if v, ok := e.ObjectiveValue(t.Observation); ok {
		w.Objective = &v
	}
	for _, tt := range tuner.TaskTimes(rec) {
		if tt.Cached {
			w.CachedSteps++
		}
	}
	return w, nil
}

func tsPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// tuningEvents streams an experiment's changes as Server-Sent Events:
// "experiment" events with the experiment (wire.TuningExperiment, with its
// best trial and cache savings) whenever it changes, "trial" events with
// each trial whose state or observation changed, and "end" when the
// experiment has completed and no trial is active.
func (s *server) tuningEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	seen := map[string]string{}
	var lastExp string
	open := func(ctx context.Context) error {
		_, err := s.st.GetTuningExperiment(ctx, id)
		return notFound(err, "tuning experiment", id)
	}
	s.streamChanges(w, r, streamPace(), open, func(ctx context.Context, ev *sse) (bool, error) {
		rec, err := s.st.GetTuningExperiment(ctx, id)
		if err != nil {
			return false, err
		}
		e, err := tuner.Experiment(rec)
		if err != nil {
			return false, err
		}
		trials, err := s.st.ListTrials(ctx, id, store.TrialListOptions{})
		if err != nil {
			return false, err
		}
		active := false
		for _, t := range trials {
			if t.Stop == tuner.StopDeleted {
				continue
			}
			if t.State == "" || tune.TrialState(t.State).Active() {
				active = true
			}
			mark := t.State + "\x00" + string(t.Observation) + "\x00" + t.Stop
			if seen[t.Name] == mark {
				continue
			}
			seen[t.Name] = mark
			wt, err := toWireTrial(e, t)
			if err != nil {
				continue
			}
			b, _ := json.Marshal(wt)
			ev.send("trial", string(b))
		}
		if mark := string(rec.Status) + rec.Condition; mark != lastExp {
			lastExp = mark
			v, err := s.tuningView(ctx, rec, trials)
			if err == nil {
				b, _ := json.Marshal(v)
				ev.send("experiment", string(b))
			}
		}
		if rec.Completed() && !active {
			ev.send("end", rec.Condition)
			return true, nil
		}
		return false, nil
	})
}
