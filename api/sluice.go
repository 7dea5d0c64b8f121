package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/usage"
	"github.com/sluicehq/sluice/wire"
)

// Sluice's own routes, for live UIs and the CLI: what the KFP API has no
// place for.
const sluicePrefix = "/apis/sluice/v1"

func (s *server) sluiceRoutes() {
	rpc := func(pattern string, h func(*http.Request) (any, error)) {
		s.mux.Handle(strings.Replace(pattern, " /", " "+sluicePrefix+"/", 1), s.rpc(h))
	}
	rpc("GET /runs/{run_id}/tasks", s.sluiceTasks)
	rpc("GET /runs/{run_id}/spec", s.runSpec)
	rpc("GET /ids", s.idsWithPrefix)
	s.mux.HandleFunc("GET "+sluicePrefix+"/runs/{run_id}/logs/{task_id...}", s.taskLog)
	s.mux.HandleFunc("GET "+sluicePrefix+"/runs/{run_id}/events", s.runEvents)
	s.mux.HandleFunc("GET "+sluicePrefix+"/artifacts", s.artifact)
}

func toWireTask(t *store.Task) wire.Task {
	w := wire.Task{TaskID: t.ID, ParentID: t.ParentID, Key: t.Key, DisplayName: t.Name, Kind: t.Kind, State: t.State,
		Cached: t.Cached, Attempts: t.Attempts, Image: t.Image, Command: t.Argv, ExitCode: t.ExitCode, Error: t.Error,
		Inputs: t.Inputs, Outputs: t.Outputs, HasLog: t.LogURI != "", LogTail: t.LogTail}
	if !t.Started.IsZero() {
		st := t.Started.UTC()
		w.StartTime = &st
	}
	if !t.Finished.IsZero() {
		et := t.Finished.UTC()
		w.EndTime = &et
	}
	if len(t.Resources) > 0 {
		var u usage.Usage
		if json.Unmarshal(t.Resources, &u) == nil {
			w.Resources = &u
		}
	}
	return w
}

// maxPrefixMatches bounds the ids GET /ids returns for one prefix.
const maxPrefixMatches = 10

// idsWithPrefix answers GET /ids?kind=K&prefix=P: the ids of kind (run,
// pipeline, experiment, recurring_run, tuning_experiment) that start with
// prefix (8 to 36 characters of hex digits and hyphens), at most
// maxPrefixMatches, and whether there are more. Clients resolve short ids
// with it.
func (s *server) idsWithPrefix(r *http.Request) (any, error) {
	q := r.URL.Query()
	kind, prefix := store.Kind(q.Get("kind")), q.Get("prefix")
	if kind == "" {
		return nil, invalidf("kind: required (run, pipeline, experiment, recurring_run or tuning_experiment)")
	}
	ids, err := s.st.IDsWithPrefix(r.Context(), kind, prefix, maxPrefixMatches+1)
	if err != nil {
		return nil, err
	}
	out := wire.IDs{IDs: ids}
	if len(ids) > maxPrefixMatches {
		out.IDs, out.More = ids[:maxPrefixMatches], true
	}
	if out.IDs == nil {
		out.IDs = []string{}
	}
	return out, nil
}

func (s *server) sluiceTasks(r *http.Request) (any, error) {
	id := r.PathValue("run_id")
	if _, err := s.st.GetRun(r.Context(), id); err != nil {
		return nil, notFound(err, "run", id)
	}
	tasks, err := s.st.ListTasks(r.Context(), id)
	if err != nil {
		return nil, err
	}
	out := struct {
		Tasks []wire.Task `json:"tasks"`
	}{Tasks: []wire.Task{}}
	for _, t := range tasks {
		out.Tasks = append(out.Tasks, toWireTask(t))
	}
	return out, nil
}

// runSpec is the pipeline spec a run executes: its own copy, taken when it
// was created, which outlives the pipeline version it came from (the KFP
// API gives it only for runs created from an inline spec).
func (s *server) runSpec(r *http.Request) (any, error) {
	id := r.PathValue("run_id")
	run, err := s.st.GetRun(r.Context(), id)
	if err != nil {
		return nil, notFound(err, "run", id)
	}
	return json.RawMessage(run.Spec), nil
}

// findTask returns a task of a run.
func (s *server) findTask(r *http.Request) (*store.Task, error) {
	runID, taskID := r.PathValue("run_id"), r.PathValue("task_id")
	if _, err := s.st.GetRun(r.Context(), runID); err != nil {
		return nil, notFound(err, "run", runID)
	}
	t, err := s.st.GetTask(r.Context(), runID, taskID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(codeNotFound, "run %q has no task %q", runID, taskID)
	}
	return t, err
}

// runActive reports whether the request's run exists and has not ended.
func (s *server) runActive(r *http.Request) bool {
	run, err := s.st.GetRun(r.Context(), r.PathValue("run_id"))
	return err == nil && !run.State.Terminal()
}

// runEvents streams a run's changes as Server-Sent Events: "run" events
// with the run's state, "task" events with each task whose state changed
// (the wire.Task JSON), and "end" when the run is over.
func (s *server) runEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("run_id")
	seen := map[string]taskMark{}
	var lastRun runstate.State
	open := func(ctx context.Context) error {
		_, err := s.st.GetRun(ctx, id)
		return notFound(err, "run", id)
	}
	s.streamChanges(w, r, streamPace(), open, func(ctx context.Context, ev *sse) (bool, error) {
		run, err := s.st.GetRun(ctx, id)
		if err != nil {
			return false, err
		}
		tasks, err := s.changedTasks(ctx, id, seen)
		if err != nil {
			return false, err
		}
		for _, t := range tasks {
			seen[t.ID] = markOf(t)
			b, _ := json.Marshal(toWireTask(t))
			ev.send("task", string(b))
		}
		if run.State != lastRun {
			lastRun = run.State
			b, _ := json.Marshal(map[string]any{"run_id": run.ID, "state": run.State, "error": run.Error})
			ev.send("run", string(b))
		}
		if run.State.Terminal() {
			ev.send("end", string(run.State))
			return true, nil
		}
		return false, nil
	})
}

// taskMark is what makes a task's change worth an event.
type taskMark struct {
	state    runstate.State
	attempts int
	cached   bool
}

func markOf(t *store.Task) taskMark { return taskMark{t.State, t.Attempts, t.Cached} }

// fullListAbove is how many changed tasks are read with one list of the
// run's whole records rather than one by one.
const fullListAbove = 32

// changedTasks are the whole records of the run's tasks whose mark
// differs from seen, in creation order. The run's summaries say which
// changed; only those are read whole (one by one, or, when many changed,
// in one list), so that following a run of 10,000 tasks does not read
// and decode every task's command line, inputs and outputs every tick.
func (s *server) changedTasks(ctx context.Context, runID string, seen map[string]taskMark) ([]*store.Task, error) {
	sums, err := s.st.ListTaskSummaries(ctx, runID)
	if err != nil {
		return nil, err
	}
	changed := map[string]bool{}
	var order []string
	for _, t := range sums {
		if m, ok := seen[t.ID]; ok && m == markOf(t) {
			continue
		}
		changed[t.ID] = true
		order = append(order, t.ID)
	}
	if len(order) == 0 {
		return nil, nil
	}
	var out []*store.Task
	if len(order) > fullListAbove {
		all, err := s.st.ListTasks(ctx, runID)
		if err != nil {
			return nil, err
		}
		for _, t := range all {
			if changed[t.ID] {
				out = append(out, t)
			}
		}
		return out, nil
	}
	for _, tid := range order {
		t, err := s.st.GetTask(ctx, runID, tid)
		if errors.Is(err, store.ErrNotFound) {
			continue // reset by a retry since the list: the next tick sees it
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
