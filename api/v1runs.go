package api

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/wire"
)

// v1beta1 runs and jobs (recurring runs).

// manifests splits a stored spec into the texts v1 shows: the KFP v1
// workflow it came from (workflow_manifest), or the IR
// (pipeline_manifest).
func manifests(stored []byte) (workflow, pipeline string) {
	stored = rawOrNil(stored)
	if stored == nil {
		return "", ""
	}
	var w struct {
		PipelineSpec json.RawMessage `json:"pipeline_spec"`
		Workflow     json.RawMessage `json:"workflow"`
		Root         json.RawMessage `json:"root"`
	}
	if json.Unmarshal(stored, &w) == nil && w.Root == nil {
		if wf := rawOrNil(w.Workflow); wf != nil {
			return string(wf), ""
		}
		if ps := rawOrNil(w.PipelineSpec); ps != nil {
			return "", string(ps)
		}
	}
	return "", string(stored)
}

// v1Source resolves what a v1 run or job runs: a manifest given inline
// (workflow_manifest or pipeline_manifest: a KFP v1 workflow or an IR
// pipeline, YAML or JSON, told apart by content), or a pipeline version
// (a PIPELINE_VERSION reference, else the latest version of the pipeline
// named by pipeline_spec.pipeline_id or a PIPELINE reference).
func (s *server) v1Source(ctx context.Context, what string, ps *wire.V1PipelineSpec, refs v1Refs) (*source, error) {
	if ps == nil {
		ps = &wire.V1PipelineSpec{}
	}
	pid := strings.TrimSpace(ps.PipelineID)
	if refs.pipeline != "" {
		if pid != "" && pid != refs.pipeline {
			return nil, invalidf("pipeline_spec.pipeline_id %q and the PIPELINE reference %q differ", pid, refs.pipeline)
		}
		pid = refs.pipeline
	}
	field, text := "pipeline_spec.workflow_manifest", ps.WorkflowManifest
	if strings.TrimSpace(ps.PipelineManifest) != "" {
		if strings.TrimSpace(text) != "" {
			return nil, invalidf("the %s sets both pipeline_spec.workflow_manifest and pipeline_spec.pipeline_manifest: set one", what)
		}
		field, text = "pipeline_spec.pipeline_manifest", ps.PipelineManifest
	}
	inline := strings.TrimSpace(text) != ""
	byRef := pid != "" || refs.version != ""
	switch {
	case inline && byRef:
		return nil, invalidf("the %s sets both %s and a pipeline (pipeline_spec.pipeline_id or a PIPELINE_VERSION reference): set one", what, field)
	case !inline && !byRef:
		return nil, invalidf("the %s has no pipeline: set pipeline_spec.workflow_manifest, pipeline_spec.pipeline_id or a PIPELINE_VERSION reference", what)
	case inline:
		p, err := spec.Load([]byte(text))
		if err == nil {
			err = plan.CheckExpressions(p.Spec)
		}
		if err != nil {
			return nil, &apiError{code: codeInvalidArgument, msg: fmt.Sprintf("invalid %s: %v", field, err), err: err}
		}
		b, err := spec.MarshalStored(p)
		if err != nil {
			return nil, err
		}
		return &source{pipeline: p, spec: b}, nil
	}
	return s.resolveSource(ctx, what, nil, &wire.PipelineVersionReference{PipelineID: pid, PipelineVersionID: refs.version}, "")
}

// v1Params checks a v1 run's or job's parameters against the pipeline and
// returns the object to store.
func v1CheckParams(src *source, ps *wire.V1PipelineSpec) ([]byte, error) {
	var given []wire.V1Parameter
	var rc *wire.V1RuntimeConfig
	if ps != nil {
		given, rc = ps.Parameters, ps.RuntimeConfig
	}
	raw, err := v1ParamObject(given, rc)
	if err != nil {
		return nil, err
	}
	b, err := checkParams(src.pipeline, raw)
	var pe *plan.ParamError
	if errors.As(err, &pe) {
		return nil, &apiError{code: codeInvalidArgument, msg: "pipeline_spec.parameters: " + pe.Error(), err: err}
	}
	return b, err
}

// v1Name is a run's or job's name: name, else pipeline_spec.pipeline_name.
func v1Name(what, name string, ps *wire.V1PipelineSpec) (string, error) {
	if n := strings.TrimSpace(name); n != "" {
		return n, nil
	}
	if ps != nil && strings.TrimSpace(ps.PipelineName) != "" {
		return strings.TrimSpace(ps.PipelineName), nil
	}
	return "", invalidf("name is required: the %s needs a name", what)
}

func (s *server) v1CreateRun(r *http.Request) (any, error) {
	var in wire.V1Run
	if err := s.decodeV1Body(r, "Run", &in); err != nil {
		return nil, err
	}
	refs, err := readRefs(in.ResourceReferences)
	if err != nil {
		return nil, err
	}
	name, err := v1Name("run", in.Name, in.PipelineSpec)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	src, err := s.v1Source(ctx, "run", in.PipelineSpec, refs)
	if err != nil {
		return nil, err
	}
	params, err := v1CheckParams(src, in.PipelineSpec)
	if err != nil {
		return nil, err
	}
	exp, err := s.experimentFor(ctx, refs.experiment)
	if err != nil {
		return nil, err
	}
	root := ""
	if in.PipelineSpec != nil && in.PipelineSpec.RuntimeConfig != nil {
		root = strings.TrimSpace(in.PipelineSpec.RuntimeConfig.PipelineRoot)
	}
	if err := s.checkRoot(src, root); err != nil {
		return nil, err
	}
	run, err := s.submitRun(ctx, newRun{src: src, experimentID: exp.ID, name: name, description: in.Description,
		params: params, pipelineRoot: root, serviceAccount: in.ServiceAccount})
	if err != nil {
		return nil, err
	}
	return s.v1RunDetail(ctx, run)
}

// v1View loads what the v1 views of a run need: its spec and its tasks.
func (s *server) v1View(ctx context.Context, run *store.Run) (*v1Run, error) {
	tasks, err := s.st.ListTasks(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	return s.v1ViewOf(run, tasks), nil
}

// v1ViewOf is v1View of a run whose tasks are read.
func (s *server) v1ViewOf(run *store.Run, tasks []*store.Task) *v1Run {
	v := &v1Run{run: run, tasks: tasks}
	if len(rawOrNil(run.Spec)) > 0 {
		if p, err := spec.LoadStored(run.Spec); err == nil {
			v.p = p
		} else {
			s.log.Warn("the spec of a run cannot be read", "run", run.ID, "err", err)
		}
	}
	return v
}

func (s *server) v1RunDetail(ctx context.Context, run *store.Run) (*wire.V1RunDetail, error) {
	v, err := s.v1View(ctx, run)
	if err != nil {
		return nil, err
	}
	names := &experimentNames{s: s, ctx: ctx}
	wf, b := v.build()
	manifest, err := json.Marshal(wf)
	if err != nil {
		return nil, fmt.Errorf("encode the workflow: %w", err)
	}
	out := &wire.V1RunDetail{Run: s.toV1Run(run, names, b.metrics(), true), PipelineRuntime: &wire.V1PipelineRuntime{WorkflowManifest: string(manifest)}}
	if v.p != nil && len(v.p.Workflow) == 0 {
		out.PipelineRuntime.PipelineManifest = out.Run.PipelineSpec.PipelineManifest
	}
	return out, nil
}

// toV1Run converts a run; withManifest adds the manifests of its spec.
func (s *server) toV1Run(run *store.Run, names *experimentNames, metrics []wire.V1RunMetric, withManifest bool) *wire.V1Run {
	ps := &wire.V1PipelineSpec{PipelineID: run.PipelineID, Parameters: v1Params(run.Params)}
	if withManifest {
		ps.WorkflowManifest, ps.PipelineManifest = manifests(run.Spec)
	}
	refs := []wire.V1ResourceReference{v1Ref("EXPERIMENT", run.ExperimentID, names.name(run.ExperimentID), "OWNER")}
	if run.PipelineVersionID != "" {
		refs = append(refs, v1Ref("PIPELINE_VERSION", run.PipelineVersionID, "", "CREATOR"))
	}
	if run.RecurringRunID != "" {
		refs = append(refs, v1Ref("JOB", run.RecurringRunID, "", "CREATOR"))
	}
	w := &wire.V1Run{
		ID:                 run.ID,
		Name:               run.DisplayName,
		StorageState:       v1StorageState(run.StorageState),
		Description:        run.Description,
		PipelineSpec:       ps,
		ResourceReferences: refs,
		ServiceAccount:     run.ServiceAccount,
		CreatedAt:          ts(run.CreatedAt),
		ScheduledAt:        ts(run.ScheduledAt),
		Status:             v1Status(run.State),
		Error:              run.Error,
		Metrics:            metrics,
	}
	if run.State.Terminal() {
		w.FinishedAt = ts(run.FinishedAt)
	}
	return w
}

func (s *server) v1GetRun(r *http.Request) (any, error) {
	id := r.PathValue("run_id")
	run, err := s.st.GetRun(r.Context(), id)
	if err != nil {
		return nil, notFound(err, "run", id)
	}
	return s.v1RunDetail(r.Context(), run)
}

// v1ListRuns lists runs of every kind (v2 runs too, as KFP does), each
// with its metrics.
func (s *server) v1ListRuns(r *http.Request) (any, error) {
	q := r.URL.Query()
	opts, err := listOptions(q, runKeys)
	if err != nil {
		return nil, err
	}
	f, err := refFilter(q, "resource_reference_key", map[string]string{
		"EXPERIMENT": "experiment_id", "PIPELINE_VERSION": "pipeline_version_id", "PIPELINE": "pipeline_id", "JOB": "recurring_run_id"})
	if err != nil {
		return nil, err
	}
	opts.Filter = append(opts.Filter, f...)
	ctx := r.Context()
	page, err := s.st.ListRuns(ctx, opts)
	if err != nil {
		return nil, err
	}
	names := &experimentNames{s: s, ctx: ctx}
	out := wire.V1ListRunsResponse{TotalSize: page.TotalSize}
	out.Runs, out.NextPageToken, err = pageItems(page, func(run *store.Run, room int) (wire.V1Run, int, error) {
		metrics, read, err := s.v1ListMetrics(ctx, run, room)
		if err != nil {
			return wire.V1Run{}, 0, err
		}
		return *s.toV1Run(run, names, metrics, false), read, nil
	})
	return out, err
}

// v1ListMetrics are the metrics of a listed run, and the bytes read to
// find them. They are the numbers of its mlpipeline-metrics artifacts,
// which its task records hold; their node ids are the Argo view's, which
// needs the run's spec (up to 32 MiB), so the spec is read only for a run
// whose tasks have such an artifact. What was read counts against the
// page's bytes: past room (pageItems'), it answers errNoRoom before
// parsing the spec.
func (s *server) v1ListMetrics(ctx context.Context, run *store.Run, room int) ([]wire.V1RunMetric, int, error) {
	tasks, err := s.st.ListTasks(ctx, run.ID)
	if err != nil {
		s.log.Warn("the tasks of a run cannot be read", "run", run.ID, "err", err)
		return nil, 0, nil
	}
	read, has := 0, false
	for _, t := range tasks {
		read += taskBytes(t)
		has = has || bytes.Contains(t.Outputs, []byte("mlpipeline-metrics"))
	}
	if !has {
		return nil, read, nil
	}
	if read > room {
		return nil, read, errNoRoom
	}
	full, err := s.st.GetRun(ctx, run.ID)
	if err != nil {
		return nil, read, nil
	}
	read += len(full.Spec)
	if read > room {
		return nil, read, errNoRoom
	}
	_, b := s.v1ViewOf(full, tasks).build()
	return b.metrics(), read, nil
}

// taskBytes is about what a task record weighs once read.
func taskBytes(t *store.Task) int {
	n := len(t.Inputs) + len(t.Outputs) + len(t.Resources) + len(t.ID) + len(t.ParentID) + len(t.Key) +
		len(t.Name) + len(t.Image) + len(t.Error) + len(t.LogURI) + len(t.LogTail) + 64
	for _, a := range t.Argv {
		n += len(a)
	}
	return n
}

// v1RunArchive serves POST /runs/{id}:archive and :unarchive.
func (s *server) v1RunArchive(r *http.Request) (any, error) {
	switch _, verb := splitAction(r); verb {
	case "archive", "unarchive":
		return s.runAction(r)
	}
	return nil, methodNotAllowed(r, "GET, DELETE")
}

func (s *server) v1TerminateRun(r *http.Request) (any, error) {
	return s.v1RunCall(r, s.cfg.Runs.Terminate)
}

func (s *server) v1RetryRun(r *http.Request) (any, error) {
	return s.v1RunCall(r, s.cfg.Runs.Retry)
}

func (s *server) v1RunCall(r *http.Request, f func(context.Context, string) error) (any, error) {
	id := r.PathValue("run_id")
	if _, err := s.st.GetRun(r.Context(), id); err != nil {
		return nil, notFound(err, "run", id)
	}
	if err := f(r.Context(), id); err != nil {
		return nil, notFound(err, "run", id)
	}
	return empty{}, nil
}

// maxReadArtifact bounds what ReadArtifact packs (it answers in one JSON
// body).
const maxReadArtifact = 16 << 20

// v1ReadArtifact serves GET /runs/{run_id}/nodes/{node_id}/artifacts/
// {name}:read: the artifact's file as a gzipped tar, as Argo stores it.
func (s *server) v1ReadArtifact(r *http.Request) (any, error) {
	runID, nodeID := r.PathValue("run_id"), r.PathValue("node_id")
	name, verb := splitAction(r)
	if verb != "read" {
		return nil, errorf(codeNotFound, "no such API route: %s %s (want .../artifacts/{name}:read)", r.Method, r.URL.Path)
	}
	ctx := r.Context()
	run, err := s.st.GetRun(ctx, runID)
	if err != nil {
		return nil, notFound(err, "run", runID)
	}
	v, err := s.v1View(ctx, run)
	if err != nil {
		return nil, err
	}
	wf, _ := v.build()
	n := wf.Status.Nodes[nodeID]
	if n == nil {
		return nil, errorf(codeNotFound, "run %q has no node %q", runID, nodeID)
	}
	var uri string
	if n.Outputs != nil {
		for _, a := range n.Outputs.Artifacts {
			if a.Name == name {
				uri = a.URI
			}
		}
	}
	if uri == "" {
		return nil, errorf(codeNotFound, "node %q of run %q has no output artifact %q", nodeID, runID, name)
	}
	rc, err := s.openBlob(ctx, uri)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxReadArtifact+1))
	if err != nil {
		return nil, errorf(codeNotFound, "artifact %q: %v", name, err)
	}
	if len(data) > maxReadArtifact {
		return nil, errorf(codeFailedPrecondition, "artifact %q is larger than %s: download it from the artifact route", name, sizeText(maxReadArtifact))
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	base := uri[strings.LastIndexByte(uri, '/')+1:]
	if err := tw.WriteHeader(&tar.Header{Name: base, Mode: 0o644, Size: int64(len(data)), ModTime: run.CreatedAt}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return wire.V1ReadArtifactResponse{Data: buf.Bytes()}, nil
}

// ---- jobs ----

func (s *server) toV1Job(rr *store.RecurringRun, names *experimentNames) wire.V1Job {
	ps := &wire.V1PipelineSpec{PipelineID: rr.PipelineID, Parameters: v1Params(rr.Params)}
	if rr.PipelineVersionID == "" && rr.PipelineID == "" {
		ps.WorkflowManifest, ps.PipelineManifest = manifests(rr.Spec)
	}
	refs := []wire.V1ResourceReference{v1Ref("EXPERIMENT", rr.ExperimentID, names.name(rr.ExperimentID), "OWNER")}
	if rr.PipelineVersionID != "" {
		refs = append(refs, v1Ref("PIPELINE_VERSION", rr.PipelineVersionID, "", "CREATOR"))
	}
	w := wire.V1Job{
		ID:                 rr.ID,
		Name:               rr.DisplayName,
		Description:        rr.Description,
		PipelineSpec:       ps,
		ResourceReferences: refs,
		ServiceAccount:     rr.ServiceAccount,
		MaxConcurrency:     wire.Int64(rr.MaxConcurrency),
		CreatedAt:          ts(rr.CreatedAt),
		UpdatedAt:          ts(rr.UpdatedAt),
		Enabled:            rr.Enabled,
		NoCatchup:          rr.NoCatchup,
		Mode:               "DISABLED",
		Status:             "Disabled",
	}
	if rr.Enabled {
		w.Mode, w.Status = "ENABLED", "Enabled"
	}
	switch {
	case rr.Cron != "":
		w.Trigger = &wire.V1Trigger{CronSchedule: &wire.V1CronSchedule{StartTime: ts(rr.StartTime), EndTime: ts(rr.EndTime), Cron: rr.Cron}}
	case rr.IntervalSecond != 0:
		w.Trigger = &wire.V1Trigger{PeriodicSchedule: &wire.V1PeriodicSchedule{StartTime: ts(rr.StartTime), EndTime: ts(rr.EndTime), IntervalSecond: wire.Int64(rr.IntervalSecond)}}
	}
	return w
}

func (s *server) v1CreateJob(r *http.Request) (any, error) {
	var in wire.V1Job
	if err := s.decodeV1Body(r, "Job", &in); err != nil {
		return nil, err
	}
	refs, err := readRefs(in.ResourceReferences)
	if err != nil {
		return nil, err
	}
	name, err := v1Name("job", in.Name, in.PipelineSpec)
	if err != nil {
		return nil, err
	}
	mode, err := enumName(in.Mode, "mode", wire.V1JobModeNames)
	if err != nil {
		return nil, err
	}
	var trig *wire.Trigger
	if t := in.Trigger; t != nil {
		trig = &wire.Trigger{}
		if c := t.CronSchedule; c != nil {
			trig.CronSchedule = &wire.CronSchedule{StartTime: c.StartTime, EndTime: c.EndTime, Cron: c.Cron}
		}
		if p := t.PeriodicSchedule; p != nil {
			trig.PeriodicSchedule = &wire.PeriodicSchedule{StartTime: p.StartTime, EndTime: p.EndTime, IntervalSecond: p.IntervalSecond}
		}
	}
	rr, err := s.newRecurringRun(int64(in.MaxConcurrency), trig)
	if err != nil {
		return nil, err
	}
	rr.DisplayName, rr.Description, rr.ServiceAccount, rr.NoCatchup = name, in.Description, in.ServiceAccount, in.NoCatchup
	rr.Enabled = (in.Enabled || mode == "ENABLED") && mode != "DISABLED" // KFP: enabled, or a mode of ENABLED
	ctx := r.Context()
	src, err := s.v1Source(ctx, "job", in.PipelineSpec, refs)
	if err != nil {
		return nil, err
	}
	if rr.Params, err = v1CheckParams(src, in.PipelineSpec); err != nil {
		return nil, err
	}
	exp, err := s.experimentFor(ctx, refs.experiment)
	if err != nil {
		return nil, err
	}
	if in.PipelineSpec != nil && in.PipelineSpec.RuntimeConfig != nil {
		rr.PipelineRoot = strings.TrimSpace(in.PipelineSpec.RuntimeConfig.PipelineRoot)
	}
	if err := s.checkRoot(src, rr.PipelineRoot); err != nil {
		return nil, err
	}
	if err := s.storeRecurringRun(ctx, rr, src, exp.ID); err != nil {
		return nil, err
	}
	return s.toV1Job(rr, &experimentNames{s: s, ctx: ctx}), nil
}

func (s *server) v1GetJob(r *http.Request) (any, error) {
	id := r.PathValue("job_id")
	rr, err := s.st.GetRecurringRun(r.Context(), id)
	if err != nil {
		return nil, notFound(err, "job", id)
	}
	return s.toV1Job(rr, &experimentNames{s: s, ctx: r.Context()}), nil
}

func (s *server) v1ListJobs(r *http.Request) (any, error) {
	q := r.URL.Query()
	opts, err := listOptions(q, recurringKeys)
	if err != nil {
		return nil, err
	}
	f, err := refFilter(q, "resource_reference_key", map[string]string{"EXPERIMENT": "experiment_id"})
	if err != nil {
		return nil, err
	}
	opts.Filter = append(opts.Filter, f...)
	page, err := s.st.ListRecurringRuns(r.Context(), opts)
	if err != nil {
		return nil, err
	}
	names := &experimentNames{s: s, ctx: r.Context()}
	out := wire.V1ListJobsResponse{TotalSize: page.TotalSize}
	out.Jobs, out.NextPageToken, err = pageItems(page, plain(func(rr *store.RecurringRun) wire.V1Job { return s.toV1Job(rr, names) }))
	return out, err
}

func (s *server) v1DeleteJob(r *http.Request) (any, error) {
	id := r.PathValue("job_id")
	if err := s.st.DeleteRecurringRun(r.Context(), id); err != nil {
		return nil, notFound(err, "job", id)
	}
	return empty{}, nil
}

func (s *server) v1EnableJob(r *http.Request) (any, error)  { return s.v1SetJob(r, true) }
func (s *server) v1DisableJob(r *http.Request) (any, error) { return s.v1SetJob(r, false) }

func (s *server) v1SetJob(r *http.Request, enabled bool) (any, error) {
	id := r.PathValue("job_id")
	now := s.now()
	_, err := s.st.UpdateRecurringRun(r.Context(), id, func(rr *store.RecurringRun) error {
		rr.Enabled, rr.UpdatedAt = enabled, now
		return nil
	})
	if err != nil {
		return nil, notFound(err, "job", id)
	}
	return empty{}, nil
}
