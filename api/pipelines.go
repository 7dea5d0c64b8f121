package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/wire"
)

func toWirePipeline(p *store.Pipeline) wire.Pipeline {
	return wire.Pipeline{
		PipelineID:  p.ID,
		DisplayName: p.DisplayName,
		Name:        p.Name,
		Description: p.Description,
		CreatedAt:   ts(p.CreatedAt),
		Namespace:   p.Namespace,
		Tags:        p.Tags,
	}
}

func toWireVersion(v *store.PipelineVersion) wire.PipelineVersion {
	w := wire.PipelineVersion{
		PipelineID:        v.PipelineID,
		PipelineVersionID: v.ID,
		DisplayName:       v.DisplayName,
		Name:              v.Name,
		Description:       v.Description,
		CreatedAt:         ts(v.CreatedAt),
		CodeSourceURL:     v.CodeSourceURL,
		PipelineSpec:      rawOrNil(v.Spec),
		Tags:              v.Tags,
	}
	if v.PackageURL != "" {
		w.PackageURL = &wire.PackageURL{PipelineURL: v.PackageURL}
	}
	return w
}

// pickName is a pipeline's or version's name: name, else display_name,
// else fallback.
func pickName(kind, name, displayName, fallback string) (string, error) {
	for _, n := range []string{name, displayName, fallback} {
		if n = strings.TrimSpace(n); n != "" {
			return n, checkName(kind+" name", n)
		}
	}
	return "", invalidf("the %s needs a name: set name or display_name", kind)
}

// newPipeline checks a Pipeline body and converts it. The name comes from
// name, else display_name, else fallback.
func (s *server) newPipeline(in wire.Pipeline, fallback string) (*store.Pipeline, error) {
	name, err := pickName("pipeline", in.Name, in.DisplayName, fallback)
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if err := checkTexts("pipeline", in.DisplayName, in.Description); err != nil {
		return nil, err
	}
	p := &store.Pipeline{
		Name:        name,
		DisplayName: strings.TrimSpace(in.DisplayName),
		Description: in.Description,
		Tags:        in.Tags,
		CreatedAt:   s.now(),
	}
	if p.DisplayName == "" {
		p.DisplayName = name
	}
	return p, nil
}

func pipelineExists(err error, name string) error {
	if errors.Is(err, store.ErrAlreadyExists) {
		return &apiError{code: codeAlreadyExists, msg: "a pipeline named " + strconv.Quote(name) + " already exists", err: err}
	}
	return err
}

func versionExists(err error, pipelineID, name string) error {
	if errors.Is(err, store.ErrAlreadyExists) {
		return &apiError{code: codeAlreadyExists, msg: "pipeline " + strconv.Quote(pipelineID) + " already has a version named " + strconv.Quote(name), err: err}
	}
	return err
}

func (s *server) createPipeline(r *http.Request) (any, error) {
	var in wire.Pipeline
	if err := s.decodeBody(r, "Pipeline", &in); err != nil {
		return nil, err
	}
	p, err := s.newPipeline(in, "")
	if err != nil {
		return nil, err
	}
	if err := s.st.CreatePipeline(r.Context(), p, nil); err != nil {
		return nil, pipelineExists(err, p.Name)
	}
	return toWirePipeline(p), nil
}

// versionSpec loads a version's spec: inline pipeline_spec, else the
// package behind package_url.pipeline_url.
func (s *server) versionSpec(ctx context.Context, field string, v *wire.PipelineVersion) (*spec.Pipeline, []byte, error) {
	if !isEmptyJSON(v.PipelineSpec) {
		sp, err := loadSpecValue(v.PipelineSpec, field+"pipeline_spec")
		if err != nil {
			return nil, nil, err
		}
		b, err := spec.MarshalStored(sp)
		return sp, b, err
	}
	if v.PackageURL != nil && strings.TrimSpace(v.PackageURL.PipelineURL) != "" {
		return s.fetchPackage(ctx, field+"package_url.pipeline_url", strings.TrimSpace(v.PackageURL.PipelineURL))
	}
	return nil, nil, invalidf("%spipeline_spec or %spackage_url is required", field, field)
}

// createPipelineAndVersion serves POST /pipelines/create: the version's
// spec is inline (pipeline_version.pipeline_spec) or fetched from
// pipeline_version.package_url.
func (s *server) createPipelineAndVersion(r *http.Request) (any, error) {
	var in struct {
		Pipeline        *wire.Pipeline        `json:"pipeline"`
		PipelineVersion *wire.PipelineVersion `json:"pipeline_version"`
	}
	if err := s.decodeBody(r, "CreatePipelineAndVersionRequest", &in); err != nil {
		return nil, err
	}
	if in.Pipeline == nil {
		return nil, invalidf("pipeline is required")
	}
	pv := in.PipelineVersion
	if pv == nil {
		return nil, invalidf("pipeline_version is required (with pipeline_spec or package_url)")
	}
	sp, b, err := s.versionSpec(r.Context(), "pipeline_version.", pv)
	if err != nil {
		return nil, err
	}
	p, err := s.newPipeline(*in.Pipeline, sp.Spec.PipelineInfo.Name)
	if err != nil {
		return nil, err
	}
	v, err := s.newVersion(*pv, p.Name, b)
	if err != nil {
		return nil, err
	}
	if err := s.st.CreatePipeline(r.Context(), p, v); err != nil {
		return nil, pipelineExists(err, p.Name)
	}
	return toWirePipeline(p), nil
}

func (s *server) getPipeline(r *http.Request) (any, error) {
	id := r.PathValue("pipeline_id")
	p, err := s.st.GetPipeline(r.Context(), id)
	if err != nil {
		return nil, notFound(err, "pipeline", id)
	}
	return toWirePipeline(p), nil
}

// pipelineSub serves GET /pipelines/names/{name} and
// GET /pipelines/{pipeline_id}/versions.
func (s *server) pipelineSub(r *http.Request) (any, error) {
	first, sub := r.PathValue("pipeline_id"), r.PathValue("sub")
	switch {
	case first == "names":
		p, err := s.st.GetPipelineByName(r.Context(), "", sub)
		if err != nil {
			return nil, notFound(err, "pipeline named", sub)
		}
		return toWirePipeline(p), nil
	case sub == "versions":
		return s.listVersions(r)
	}
	return nil, errorf(codeNotFound, "no such API route: %s %s", r.Method, r.URL.Path)
}

func (s *server) listPipelines(r *http.Request) (any, error) {
	opts, err := listOptions(r.URL.Query(), pipelineKeys)
	if err != nil {
		return nil, err
	}
	page, err := s.st.ListPipelines(r.Context(), opts)
	if err != nil {
		return nil, err
	}
	out := wire.ListPipelinesResponse{TotalSize: page.TotalSize}
	out.Pipelines, out.NextPageToken, err = pageItems(page, plain(toWirePipeline))
	return out, err
}

// updatePipeline changes display_name and tags; "tags": {} clears them.
func (s *server) updatePipeline(r *http.Request) (any, error) {
	id := r.PathValue("pipeline_id")
	var in wire.Pipeline
	if err := s.decodeBody(r, "Pipeline", &in); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	p, err := s.st.GetPipeline(r.Context(), id)
	if err != nil {
		return nil, notFound(err, "pipeline", id)
	}
	if d := strings.TrimSpace(in.DisplayName); d != "" {
		p.DisplayName = d
	}
	if in.Tags != nil {
		p.Tags = in.Tags
	}
	if err := s.st.UpdatePipeline(r.Context(), p); err != nil {
		return nil, notFound(err, "pipeline", id)
	}
	return toWirePipeline(p), nil
}

func (s *server) deletePipeline(r *http.Request) (any, error) {
	id := r.PathValue("pipeline_id")
	cascade := false
	if c := r.URL.Query().Get("cascade"); c != "" {
		b, err := strconv.ParseBool(c)
		if err != nil {
			return nil, invalidf("cascade: expected true or false, got %q", c)
		}
		cascade = b
	}
	err := s.st.DeletePipeline(r.Context(), id, cascade)
	if errors.Is(err, store.ErrConflict) {
		return nil, &apiError{code: codeFailedPrecondition, status: http.StatusConflict, err: err,
			msg: "pipeline " + strconv.Quote(id) + " still has versions: delete them first, or pass cascade=true to delete them with it"}
	}
	if err != nil {
		return nil, notFound(err, "pipeline", id)
	}
	return empty{}, nil
}

func packageURLOf(v wire.PipelineVersion) string {
	if v.PackageURL == nil {
		return ""
	}
	return strings.TrimSpace(v.PackageURL.PipelineURL)
}

// newVersion checks a PipelineVersion body and converts it. The name comes
// from name, else display_name, else fallback.
func (s *server) newVersion(in wire.PipelineVersion, fallback string, specJSON []byte) (*store.PipelineVersion, error) {
	name, err := pickName("pipeline version", in.Name, in.DisplayName, fallback)
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if err := checkTexts("pipeline version", in.DisplayName, in.Description); err != nil {
		return nil, err
	}
	v := &store.PipelineVersion{
		Name:          name,
		DisplayName:   strings.TrimSpace(in.DisplayName),
		Description:   in.Description,
		CodeSourceURL: in.CodeSourceURL,
		Spec:          specJSON,
		PackageURL:    packageURLOf(in),
		Tags:          in.Tags,
		CreatedAt:     s.now(),
	}
	if v.DisplayName == "" {
		v.DisplayName = name
	}
	return v, nil
}

func (s *server) createVersion(r *http.Request) (any, error) {
	pid := r.PathValue("pipeline_id")
	var in wire.PipelineVersion
	if err := s.decodeBody(r, "PipelineVersion", &in); err != nil {
		return nil, err
	}
	if in.PipelineID != "" && in.PipelineID != pid {
		return nil, invalidf("pipeline_id %q in the body does not match %q in the path", in.PipelineID, pid)
	}
	if _, err := s.st.GetPipeline(r.Context(), pid); err != nil {
		return nil, notFound(err, "pipeline", pid)
	}
	_, b, err := s.versionSpec(r.Context(), "", &in)
	if err != nil {
		return nil, err
	}
	v, err := s.newVersion(in, "", b)
	if err != nil {
		return nil, err
	}
	v.PipelineID = pid
	if err := s.st.CreatePipelineVersion(r.Context(), v); err != nil {
		return nil, versionExists(notFound(err, "pipeline", pid), pid, v.Name)
	}
	return toWireVersion(v), nil
}

// version gets the version in the path and checks it belongs to the
// pipeline in the path.
func (s *server) version(r *http.Request) (*store.PipelineVersion, error) {
	pid, vid := r.PathValue("pipeline_id"), r.PathValue("version_id")
	v, err := s.st.GetPipelineVersion(r.Context(), vid)
	if err != nil {
		return nil, notFound(err, "pipeline version", vid)
	}
	if v.PipelineID != pid {
		return nil, errorf(codeNotFound, "pipeline version %q not found in pipeline %q", vid, pid)
	}
	return v, nil
}

func (s *server) getVersion(r *http.Request) (any, error) {
	v, err := s.version(r)
	if err != nil {
		return nil, err
	}
	return toWireVersion(v), nil
}

func (s *server) listVersions(r *http.Request) (any, error) {
	pid := r.PathValue("pipeline_id")
	opts, err := listOptions(r.URL.Query(), versionKeys)
	if err != nil {
		return nil, err
	}
	if _, err := s.st.GetPipeline(r.Context(), pid); err != nil {
		return nil, notFound(err, "pipeline", pid)
	}
	page, err := s.st.ListPipelineVersions(r.Context(), pid, opts)
	if err != nil {
		return nil, err
	}
	out := wire.ListPipelineVersionsResponse{TotalSize: page.TotalSize}
	out.PipelineVersions, out.NextPageToken, err = pageItems(page, plain(toWireVersion))
	return out, err
}

func (s *server) updateVersion(r *http.Request) (any, error) {
	var in wire.PipelineVersion
	if err := s.decodeBody(r, "PipelineVersion", &in); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	v, err := s.version(r)
	if err != nil {
		return nil, err
	}
	if d := strings.TrimSpace(in.DisplayName); d != "" {
		v.DisplayName = d
	}
	if in.Tags != nil {
		v.Tags = in.Tags
	}
	if err := s.st.UpdatePipelineVersion(r.Context(), v); err != nil {
		return nil, notFound(err, "pipeline version", v.ID)
	}
	return toWireVersion(v), nil
}

func (s *server) deleteVersion(r *http.Request) (any, error) {
	v, err := s.version(r)
	if err != nil {
		return nil, err
	}
	if err := s.st.DeletePipelineVersion(r.Context(), v.ID); err != nil {
		return nil, notFound(err, "pipeline version", v.ID)
	}
	return empty{}, nil
}
