package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/wire"
)

// v1beta1 experiments, pipelines and pipeline versions.

func toV1Experiment(e *store.Experiment) wire.V1Experiment {
	state := wire.Enum("STORAGESTATE_AVAILABLE")
	if e.StorageState == store.Archived {
		state = "STORAGESTATE_ARCHIVED"
	}
	return wire.V1Experiment{
		ID:                 e.ID,
		Name:               e.DisplayName,
		Description:        e.Description,
		CreatedAt:          ts(e.CreatedAt),
		ResourceReferences: []wire.V1ResourceReference{v1Ref("NAMESPACE", e.Namespace, "", "OWNER")},
		StorageState:       state,
	}
}

func (s *server) v1CreateExperiment(r *http.Request) (any, error) {
	var in wire.V1Experiment
	if err := s.decodeV1Body(r, "Experiment", &in); err != nil {
		return nil, err
	}
	if _, err := readRefs(in.ResourceReferences); err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return nil, invalidf("name is required: the experiment needs a name")
	}
	e := &store.Experiment{DisplayName: name, Description: in.Description, StorageState: store.Available, CreatedAt: s.now()}
	if err := s.st.CreateExperiment(r.Context(), e); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return nil, &apiError{code: codeAlreadyExists, err: err, msg: fmt.Sprintf("an experiment named %q already exists", name)}
		}
		return nil, err
	}
	return toV1Experiment(e), nil
}

func (s *server) v1GetExperiment(r *http.Request) (any, error) {
	id := r.PathValue("experiment_id")
	e, err := s.st.GetExperiment(r.Context(), id)
	if err != nil {
		return nil, notFound(err, "experiment", id)
	}
	return toV1Experiment(e), nil
}

func (s *server) v1ListExperiments(r *http.Request) (any, error) {
	q := r.URL.Query()
	opts, err := listOptions(q, experimentKeys)
	if err != nil {
		return nil, err
	}
	if _, err := refFilter(q, "resource_reference_key", nil); err != nil {
		return nil, err
	}
	page, err := s.st.ListExperiments(r.Context(), opts)
	if err != nil {
		return nil, err
	}
	out := wire.V1ListExperimentsResponse{TotalSize: page.TotalSize}
	out.Experiments, out.NextPageToken, err = pageItems(page, plain(toV1Experiment))
	return out, err
}

// ---- pipelines and versions ----

// storedInputs is what a stored spec says of the pipeline's parameters.
type storedInputs struct {
	PipelineSpec *storedInputs `json:"pipeline_spec"`
	Root         struct {
		InputDefinitions struct {
			Parameters map[string]struct {
				DefaultValue json.RawMessage `json:"defaultValue"`
			} `json:"parameters"`
		} `json:"inputDefinitions"`
	} `json:"root"`
	Workflow *struct {
		Spec struct {
			Arguments struct {
				Parameters []struct {
					Name string `json:"name"`
				} `json:"parameters"`
			} `json:"arguments"`
		} `json:"spec"`
	} `json:"workflow"`
}

// specParameters lists a stored spec's parameters with their defaults as
// text, in the workflow's order for a KFP v1 pipeline, else by name.
func specParameters(stored []byte) []wire.V1Parameter {
	var si storedInputs
	if json.Unmarshal(stored, &si) != nil {
		return nil
	}
	defs := si.Root.InputDefinitions.Parameters
	if si.PipelineSpec != nil {
		defs = si.PipelineSpec.Root.InputDefinitions.Parameters
	}
	names := slices.Sorted(maps.Keys(defs))
	if si.Workflow != nil {
		var order []string
		for _, p := range si.Workflow.Spec.Arguments.Parameters {
			if _, ok := defs[p.Name]; ok && !slices.Contains(order, p.Name) {
				order = append(order, p.Name)
			}
		}
		for _, n := range names {
			if !slices.Contains(order, n) {
				order = append(order, n)
			}
		}
		names = order
	}
	out := make([]wire.V1Parameter, 0, len(names))
	for _, n := range names {
		p := wire.V1Parameter{Name: n}
		if d := defs[n].DefaultValue; len(rawOrNil(d)) > 0 {
			p.Value = paramText(d)
		}
		out = append(out, p)
	}
	return out
}

func toV1Version(v *store.PipelineVersion) wire.V1PipelineVersion {
	w := wire.V1PipelineVersion{
		ID:                 v.ID,
		Name:               v.Name,
		CreatedAt:          ts(v.CreatedAt),
		Parameters:         specParameters(v.Spec),
		CodeSourceURL:      v.CodeSourceURL,
		Description:        v.Description,
		ResourceReferences: []wire.V1ResourceReference{v1Ref("PIPELINE", v.PipelineID, "", "OWNER")},
	}
	if v.PackageURL != "" {
		w.PackageURL = &wire.V1URL{PipelineURL: v.PackageURL}
	}
	return w
}

// toV1Pipeline shows a pipeline with its latest version as the default
// one (nil when it has none).
func toV1Pipeline(p *store.Pipeline, latest *store.PipelineVersion) wire.V1Pipeline {
	w := wire.V1Pipeline{
		ID:                 p.ID,
		CreatedAt:          ts(p.CreatedAt),
		Name:               p.Name,
		Description:        p.Description,
		ResourceReferences: []wire.V1ResourceReference{v1Ref("NAMESPACE", p.Namespace, "", "OWNER")},
	}
	if latest != nil {
		dv := toV1Version(latest)
		w.DefaultVersion = &dv
		w.Parameters = dv.Parameters
		if latest.PackageURL != "" {
			w.URL = &wire.V1URL{PipelineURL: latest.PackageURL}
		}
	}
	return w
}

func (s *server) v1Pipeline(ctx context.Context, p *store.Pipeline) (wire.V1Pipeline, error) {
	v, err := s.st.LatestPipelineVersion(ctx, p.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return wire.V1Pipeline{}, err
	}
	return toV1Pipeline(p, v), nil
}

// v1UploadPipeline serves POST /pipelines/upload?name=&description=, as
// the v2beta1 route does, answering a v1 Pipeline.
func (s *server) v1UploadPipeline(w http.ResponseWriter, r *http.Request) {
	const what = "Failed to create a pipeline and a pipeline version"
	p, err := s.upload(w, r)
	var out wire.V1Pipeline
	if err == nil {
		out, err = s.v1Pipeline(r.Context(), p)
	}
	if err != nil {
		s.writeV1Error(w, r, what, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// v1UploadPipelineVersion serves POST
// /pipelines/upload_version?name=&pipelineid=&description=.
func (s *server) v1UploadPipelineVersion(w http.ResponseWriter, r *http.Request) {
	v, err := s.uploadVersion(w, r)
	if err != nil {
		s.writeV1Error(w, r, "Failed to create a pipeline version", err)
		return
	}
	writeJSON(w, http.StatusOK, toV1Version(v))
}

// v1CreatePipeline serves POST /pipelines {name, description, url}: the
// package is fetched from url.pipeline_url.
func (s *server) v1CreatePipeline(r *http.Request) (any, error) {
	var in wire.V1Pipeline
	if err := s.decodeV1Body(r, "Pipeline", &in); err != nil {
		return nil, err
	}
	if _, err := readRefs(in.ResourceReferences); err != nil {
		return nil, err
	}
	if in.URL == nil || strings.TrimSpace(in.URL.PipelineURL) == "" {
		return nil, invalidf("url.pipeline_url is required: the URL of the pipeline package")
	}
	ctx := r.Context()
	sp, b, err := s.fetchPackage(ctx, "url.pipeline_url", strings.TrimSpace(in.URL.PipelineURL))
	if err != nil {
		return nil, err
	}
	p, err := s.newPipeline(wire.Pipeline{Name: in.Name, Description: in.Description}, sp.Spec.PipelineInfo.Name)
	if err != nil {
		return nil, err
	}
	v, err := s.newVersion(wire.PipelineVersion{Name: p.Name, Description: in.Description,
		PackageURL: &wire.PackageURL{PipelineURL: strings.TrimSpace(in.URL.PipelineURL)}}, "", b)
	if err != nil {
		return nil, err
	}
	if err := s.st.CreatePipeline(ctx, p, v); err != nil {
		return nil, pipelineExists(err, p.Name)
	}
	return toV1Pipeline(p, v), nil
}

func (s *server) v1GetPipeline(r *http.Request) (any, error) {
	id := r.PathValue("pipeline_id")
	p, err := s.st.GetPipeline(r.Context(), id)
	if err != nil {
		return nil, notFound(err, "pipeline", id)
	}
	return s.v1Pipeline(r.Context(), p)
}

func (s *server) v1ListPipelines(r *http.Request) (any, error) {
	q := r.URL.Query()
	opts, err := listOptions(q, pipelineKeys)
	if err != nil {
		return nil, err
	}
	if _, err := refFilter(q, "resource_reference_key", nil); err != nil {
		return nil, err
	}
	page, err := s.st.ListPipelines(r.Context(), opts)
	if err != nil {
		return nil, err
	}
	out := wire.V1ListPipelinesResponse{TotalSize: page.TotalSize}
	out.Pipelines, out.NextPageToken, err = pageItems(page, func(p *store.Pipeline, _ int) (wire.V1Pipeline, int, error) {
		// The latest version's spec is read for its parameters: it counts.
		v, err := s.st.LatestPipelineVersion(r.Context(), p.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return wire.V1Pipeline{}, 0, err
		}
		read := 0
		if v != nil {
			read = len(v.Spec)
		}
		return toV1Pipeline(p, v), read, nil
	})
	return out, err
}

// v1DeletePipeline deletes a pipeline and its versions, as KFP v1 does.
func (s *server) v1DeletePipeline(r *http.Request) (any, error) {
	id := r.PathValue("pipeline_id")
	if err := s.st.DeletePipeline(r.Context(), id, true); err != nil {
		return nil, notFound(err, "pipeline", id)
	}
	return empty{}, nil
}

func (s *server) v1PipelineTemplate(r *http.Request) (any, error) {
	id := r.PathValue("pipeline_id")
	if _, err := s.st.GetPipeline(r.Context(), id); err != nil {
		return nil, notFound(err, "pipeline", id)
	}
	v, err := s.st.LatestPipelineVersion(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(codeNotFound, "pipeline %q has no versions", id)
	}
	if err != nil {
		return nil, err
	}
	return templateOf(v.Spec)
}

// templateOf is a stored spec as the YAML a v1 client reads back: the KFP
// v1 workflow it came from, or the IR.
func templateOf(stored []byte) (wire.V1GetTemplateResponse, error) {
	var w struct {
		PipelineSpec json.RawMessage `json:"pipeline_spec"`
		Workflow     json.RawMessage `json:"workflow"`
		Root         json.RawMessage `json:"root"`
	}
	doc := stored
	if json.Unmarshal(stored, &w) == nil && w.Root == nil {
		switch {
		case len(rawOrNil(w.Workflow)) > 0:
			doc = w.Workflow
		case len(rawOrNil(w.PipelineSpec)) > 0:
			doc = w.PipelineSpec
		}
	}
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return wire.V1GetTemplateResponse{}, fmt.Errorf("decode the stored spec: %w", err)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return wire.V1GetTemplateResponse{}, fmt.Errorf("encode the template: %w", err)
	}
	return wire.V1GetTemplateResponse{Template: buf.String()}, nil
}

// v1CreateVersion serves POST /pipeline_versions: the pipeline is the
// PIPELINE reference, the package is fetched from package_url.
func (s *server) v1CreateVersion(r *http.Request) (any, error) {
	var in wire.V1PipelineVersion
	if err := s.decodeV1Body(r, "PipelineVersion", &in); err != nil {
		return nil, err
	}
	refs, err := readRefs(in.ResourceReferences)
	if err != nil {
		return nil, err
	}
	if refs.pipeline == "" {
		return nil, invalidf("resource_references: a PIPELINE reference (OWNER) naming the version's pipeline is required")
	}
	if in.PackageURL == nil || strings.TrimSpace(in.PackageURL.PipelineURL) == "" {
		return nil, invalidf("package_url.pipeline_url is required: the URL of the pipeline package")
	}
	ctx := r.Context()
	if _, err := s.st.GetPipeline(ctx, refs.pipeline); err != nil {
		return nil, notFound(err, "pipeline", refs.pipeline)
	}
	url := strings.TrimSpace(in.PackageURL.PipelineURL)
	_, b, err := s.fetchPackage(ctx, "package_url.pipeline_url", url)
	if err != nil {
		return nil, err
	}
	v, err := s.newVersion(wire.PipelineVersion{Name: in.Name, Description: in.Description, CodeSourceURL: in.CodeSourceURL,
		PackageURL: &wire.PackageURL{PipelineURL: url}}, "", b)
	if err != nil {
		return nil, err
	}
	v.PipelineID = refs.pipeline
	if err := s.st.CreatePipelineVersion(ctx, v); err != nil {
		return nil, versionExists(notFound(err, "pipeline", refs.pipeline), refs.pipeline, v.Name)
	}
	return toV1Version(v), nil
}

func (s *server) v1GetVersion(r *http.Request) (any, error) {
	id := r.PathValue("version_id")
	v, err := s.st.GetPipelineVersion(r.Context(), id)
	if err != nil {
		return nil, notFound(err, "pipeline version", id)
	}
	return toV1Version(v), nil
}

func (s *server) v1ListVersions(r *http.Request) (any, error) {
	q := r.URL.Query()
	opts, err := listOptions(q, versionKeys)
	if err != nil {
		return nil, err
	}
	f, err := refFilter(q, "resource_key", map[string]string{"PIPELINE": "pipeline_id"})
	if err != nil {
		return nil, err
	}
	if len(f) == 0 {
		return nil, invalidf("resource_key.type=PIPELINE and resource_key.id=<pipeline id> are required: versions are listed per pipeline")
	}
	pid := f[0].Value.(string)
	if _, err := s.st.GetPipeline(r.Context(), pid); err != nil {
		return nil, notFound(err, "pipeline", pid)
	}
	page, err := s.st.ListPipelineVersions(r.Context(), pid, opts)
	if err != nil {
		return nil, err
	}
	out := wire.V1ListPipelineVersionsResponse{TotalSize: page.TotalSize}
	out.Versions, out.NextPageToken, err = pageItems(page, plain(toV1Version))
	return out, err
}

func (s *server) v1DeleteVersion(r *http.Request) (any, error) {
	id := r.PathValue("version_id")
	if err := s.st.DeletePipelineVersion(r.Context(), id); err != nil {
		return nil, notFound(err, "pipeline version", id)
	}
	return empty{}, nil
}

func (s *server) v1VersionTemplate(r *http.Request) (any, error) {
	id := r.PathValue("version_id")
	v, err := s.st.GetPipelineVersion(r.Context(), id)
	if err != nil {
		return nil, notFound(err, "pipeline version", id)
	}
	return templateOf(v.Spec)
}
