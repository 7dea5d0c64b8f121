package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/wire"
)

// runIn is the body of POST /runs. runtime_config.parameters stays raw so
// that it can be checked against the pipeline's inputs.
type runIn struct {
	ExperimentID             string                         `json:"experiment_id"`
	DisplayName              string                         `json:"display_name"`
	Description              string                         `json:"description"`
	PipelineVersionID        string                         `json:"pipeline_version_id"`
	PipelineSpec             json.RawMessage                `json:"pipeline_spec"`
	PipelineVersionReference *wire.PipelineVersionReference `json:"pipeline_version_reference"`
	RuntimeConfig            *wire.RuntimeConfig            `json:"runtime_config"`
	ServiceAccount           string                         `json:"service_account"`
	// NoCache is a Sluice extension: run every step, serving none from the
	// cache (the KFP SDK instead rewrites the spec's cachingOptions).
	NoCache bool `json:"no_cache"`
}

func toWireRun(r *store.Run) wire.Run {
	w := wire.Run{
		ExperimentID:   r.ExperimentID,
		RunID:          r.ID,
		DisplayName:    r.DisplayName,
		StorageState:   r.StorageState,
		Description:    r.Description,
		ServiceAccount: r.ServiceAccount,
		CreatedAt:      ts(r.CreatedAt),
		ScheduledAt:    ts(r.ScheduledAt),
		FinishedAt:     ts(r.FinishedAt),
		State:          r.State,
		Error:          errStatus(r.Error),
		RecurringRunID: r.RecurringRunID,
		Labels:         r.Labels,
	}
	if r.PipelineVersionID != "" {
		w.PipelineVersionReference = &wire.PipelineVersionReference{PipelineID: r.PipelineID, PipelineVersionID: r.PipelineVersionID}
	} else {
		w.PipelineSpec = rawOrNil(r.Spec)
	}
	if rawOrNil(r.Params) != nil || r.PipelineRoot != "" {
		w.RuntimeConfig = &wire.RuntimeConfig{Parameters: rawOrNil(r.Params), PipelineRoot: r.PipelineRoot}
	}
	for _, h := range r.StateHistory {
		w.StateHistory = append(w.StateHistory, wire.RuntimeStatus{UpdateTime: ts(h.Time), State: h.State, Error: errStatus(h.Error)})
	}
	return w
}

// taskDetails converts a run's tasks to run_details.task_details.
func taskDetails(runID string, tasks []*store.Task) []wire.TaskDetail {
	children := childTasks(tasks)
	out := make([]wire.TaskDetail, 0, len(tasks))
	for _, t := range tasks {
		out = append(out, taskDetail(runID, t, children))
	}
	return out
}

// childTasks are the children of each task, by parent id.
func childTasks(tasks []*store.Task) map[string][]wire.ChildTask {
	children := map[string][]wire.ChildTask{}
	for _, t := range tasks {
		if t.ParentID != "" {
			children[t.ParentID] = append(children[t.ParentID], wire.ChildTask{TaskID: t.ID})
		}
	}
	return children
}

// taskDetail is one task of run_details.task_details.
func taskDetail(runID string, t *store.Task, children map[string][]wire.ChildTask) wire.TaskDetail {
	name := t.Name
	if name == "" {
		name = t.Key
	}
	return wire.TaskDetail{
		RunID:        runID,
		TaskID:       t.ID,
		DisplayName:  name,
		CreateTime:   ts(t.Created),
		StartTime:    ts(t.Started),
		EndTime:      ts(t.Finished),
		State:        t.State,
		Error:        errStatus(t.Error),
		ParentTaskID: t.ParentID,
		ChildTasks:   children[t.ID],
	}
}

func (s *server) createRun(r *http.Request) (any, error) {
	var in runIn
	if err := s.decodeBody(r, "Run", &in); err != nil {
		return nil, err
	}
	ctx := r.Context()
	src, err := s.resolveSource(ctx, "run", in.PipelineSpec, in.PipelineVersionReference, in.PipelineVersionID)
	if err != nil {
		return nil, err
	}
	rc := in.RuntimeConfig
	if rc == nil {
		rc = &wire.RuntimeConfig{}
	}
	params, err := checkParams(src.pipeline, rc.Parameters)
	if err != nil {
		return nil, err
	}
	if err := s.checkRoot(src, strings.TrimSpace(rc.PipelineRoot)); err != nil {
		return nil, err
	}
	exp, err := s.experimentFor(ctx, in.ExperimentID)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.DisplayName)
	if name == "" {
		name = src.pipeline.Spec.PipelineInfo.DisplayName
	}
	if name == "" {
		name = src.pipeline.Spec.PipelineInfo.Name
	}
	run, err := s.submitRun(ctx, newRun{src: src, experimentID: exp.ID, name: name, description: in.Description,
		params: params, pipelineRoot: strings.TrimSpace(rc.PipelineRoot), serviceAccount: in.ServiceAccount, noCache: in.NoCache})
	if err != nil {
		return nil, err
	}
	return toWireRun(run), nil
}

// newRun is a run a request asks for, checked: what the v2beta1 and the
// v1beta1 API each read from their own request body.
type newRun struct {
	src            *source
	experimentID   string
	name           string
	description    string
	params         []byte // the JSON object of runtime parameters
	pipelineRoot   string
	serviceAccount string
	noCache        bool
}

// submitRun makes the store.Run of a checked request, submits it to the
// run service and returns it as stored (as submitted if it cannot be read
// back), for both API versions.
func (s *server) submitRun(ctx context.Context, in newRun) (*store.Run, error) {
	now := s.now()
	run := &store.Run{
		ExperimentID:      in.experimentID,
		DisplayName:       in.name,
		Description:       in.description,
		StorageState:      store.Available,
		PipelineID:        in.src.pipelineID,
		PipelineVersionID: in.src.versionID,
		Spec:              in.src.spec,
		Params:            in.params,
		PipelineRoot:      in.pipelineRoot,
		ServiceAccount:    in.serviceAccount,
		NoCache:           in.noCache,
		CreatedAt:         now,
		ScheduledAt:       now,
	}
	if err := s.cfg.Runs.Submit(ctx, run); err != nil {
		return nil, err
	}
	if stored, err := s.st.GetRun(ctx, run.ID); err == nil {
		run = stored
	}
	return run, nil
}

func (s *server) getRun(r *http.Request) (any, error) {
	id := r.PathValue("run_id")
	run, err := s.st.GetRun(r.Context(), id)
	if err != nil {
		return nil, notFound(err, "run", id)
	}
	// Only what task_details shows: a big run's inputs and outputs are
	// neither read nor decoded on every poll.
	tasks, err := s.st.ListTaskSummaries(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return &runWithTasks{run: toWireRun(run), tasks: tasks}, nil
}

func (s *server) listRuns(r *http.Request) (any, error) {
	q := r.URL.Query()
	opts, err := listOptions(q, runKeys)
	if err != nil {
		return nil, err
	}
	if e := q.Get("experiment_id"); e != "" {
		opts.Filter = append(opts.Filter, store.Predicate{Key: "experiment_id", Op: store.OpEquals, Value: e})
	}
	page, err := s.st.ListRuns(r.Context(), opts)
	if err != nil {
		return nil, err
	}
	out := wire.ListRunsResponse{TotalSize: page.TotalSize}
	out.Runs, out.NextPageToken, err = pageItems(page, plain(toWireRun))
	return out, err
}

// deleteRun deletes a run, terminating it first when it has not ended.
func (s *server) deleteRun(r *http.Request) (any, error) {
	id := r.PathValue("run_id")
	if err := s.cfg.Runs.Delete(r.Context(), id); err != nil {
		return nil, notFound(err, "run", id)
	}
	return empty{}, nil
}

// runAction serves POST /runs/{id}:archive, :unarchive, :terminate and
// :retry.
func (s *server) runAction(r *http.Request) (any, error) {
	id, verb := splitAction(r)
	ctx := r.Context()
	switch verb {
	case "archive", "unarchive":
		state := store.Archived
		if verb == "unarchive" {
			state = store.Available
		}
		_, err := s.st.UpdateRun(ctx, id, func(run *store.Run) error {
			run.StorageState = state
			return nil
		})
		if err != nil {
			return nil, notFound(err, "run", id)
		}
	case "terminate", "retry":
		if _, err := s.st.GetRun(ctx, id); err != nil {
			return nil, notFound(err, "run", id)
		}
		f := s.cfg.Runs.Terminate
		if verb == "retry" {
			f = s.cfg.Runs.Retry
		}
		if err := f(ctx, id); err != nil {
			return nil, notFound(err, "run", id)
		}
	default:
		return nil, methodNotAllowed(r, "GET, DELETE")
	}
	return empty{}, nil
}
