package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/wire"
)

// loadSpecValue loads and validates a pipeline spec given as a JSON value
// (field names where it came from): its stored form (spec.LoadStored: the
// bare PipelineSpec object or the {"pipeline_spec", "platform_spec"}
// wrapper), or a string holding the YAML or JSON text of a package. Its
// expressions are checked too (plan.CheckExpressions).
func loadSpecValue(raw json.RawMessage, field string) (*spec.Pipeline, error) {
	p, err := loadSpecJSON(raw, field)
	if err != nil {
		return nil, err
	}
	if err := plan.CheckExpressions(p.Spec); err != nil {
		return nil, &apiError{code: codeInvalidArgument, msg: fmt.Sprintf("invalid %s: %v", field, err), err: err}
	}
	return p, nil
}

func loadSpecJSON(raw json.RawMessage, field string) (*spec.Pipeline, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, invalidf("%s: %v", field, err)
		}
		p, err := spec.Load([]byte(text))
		if err != nil {
			return nil, &apiError{code: codeInvalidArgument, msg: fmt.Sprintf("invalid %s: %v", field, err), err: err}
		}
		return p, nil
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, invalidf("%s must be a JSON object (a PipelineSpec), got %s", field, abbrev(raw))
	}
	p, err := spec.LoadStored(raw)
	var se *spec.StoredError
	switch {
	case errors.As(err, &se) && se.Part == "platform_spec":
		return nil, invalidf("invalid platform_spec: %v", jsonErrText(se.Err))
	case errors.As(err, &se):
		return nil, &apiError{code: codeInvalidArgument, msg: fmt.Sprintf("invalid %s.%s: %v", field, se.Part, se.Err), err: se.Err}
	case err != nil:
		return nil, &apiError{code: codeInvalidArgument, msg: fmt.Sprintf("invalid %s: %v", field, err), err: err}
	}
	return p, nil
}

func abbrev(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// source is the resolved pipeline of a run or recurring run.
// checkRoot refuses a pipeline root the server does not write runs
// under (400, naming the field).
func (s *server) checkRoot(src *source, root string) error {
	if s.cfg.CheckPipelineRoot == nil {
		return nil
	}
	if err := s.cfg.CheckPipelineRoot(src.pipeline.Spec, root); err != nil {
		return invalidf("%s", err.Error())
	}
	return nil
}

type source struct {
	pipeline   *spec.Pipeline
	spec       []byte
	pipelineID string
	versionID  string
}

// resolveSource finds the pipeline a run asks for: an inline spec, a
// version reference (an empty version means the latest), or the
// deprecated pipeline_version_id. Exactly one must be given.
func (s *server) resolveSource(ctx context.Context, what string, inline json.RawMessage, ref *wire.PipelineVersionReference, versionID string) (*source, error) {
	hasRef := ref != nil && (ref.PipelineID != "" || ref.PipelineVersionID != "")
	n := 0
	for _, b := range []bool{!isEmptyJSON(inline), hasRef, versionID != ""} {
		if b {
			n++
		}
	}
	switch {
	case n == 0:
		return nil, invalidf("the %s has no pipeline: set pipeline_spec or pipeline_version_reference", what)
	case n > 1:
		return nil, invalidf("the %s sets more than one pipeline source: set only one of pipeline_spec, pipeline_version_reference and pipeline_version_id", what)
	}
	if !isEmptyJSON(inline) {
		p, err := loadSpecValue(inline, "pipeline_spec")
		if err != nil {
			return nil, err
		}
		b, err := spec.MarshalStored(p)
		if err != nil {
			return nil, err
		}
		return &source{pipeline: p, spec: b}, nil
	}
	if !hasRef {
		ref = &wire.PipelineVersionReference{PipelineVersionID: versionID}
	}
	var v *store.PipelineVersion
	var err error
	switch {
	case ref.PipelineVersionID != "":
		v, err = s.st.GetPipelineVersion(ctx, ref.PipelineVersionID)
		if err != nil {
			return nil, notFound(err, "pipeline version", ref.PipelineVersionID)
		}
		if ref.PipelineID != "" && v.PipelineID != ref.PipelineID {
			return nil, errorf(codeNotFound, "pipeline version %q not found in pipeline %q", ref.PipelineVersionID, ref.PipelineID)
		}
	default:
		if _, err := s.st.GetPipeline(ctx, ref.PipelineID); err != nil {
			return nil, notFound(err, "pipeline", ref.PipelineID)
		}
		v, err = s.st.LatestPipelineVersion(ctx, ref.PipelineID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errorf(codeFailedPrecondition, "pipeline %q has no versions to run", ref.PipelineID)
		}
		if err != nil {
			return nil, err
		}
	}
	p, err := loadSpecValue(v.Spec, fmt.Sprintf("spec of pipeline version %q", v.ID))
	if err != nil {
		return nil, err
	}
	return &source{pipeline: p, spec: v.Spec, pipelineID: v.PipelineID, versionID: v.ID}, nil
}

// checkParams validates runtime parameters against the pipeline's root
// inputs and returns the JSON to store: the given parameters, typed.
func checkParams(p *spec.Pipeline, raw json.RawMessage) ([]byte, error) {
	given := map[string]any{}
	if !isEmptyJSON(raw) {
		if err := json.Unmarshal(raw, &given); err != nil {
			return nil, invalidf("runtime_config.parameters must be a JSON object of parameter values, got %s", abbrev(raw))
		}
	}
	typed, err := plan.RootParams(p.Spec, given)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(given))
	for k := range maps.Keys(given) {
		out[k] = typed[k]
	}
	if len(out) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode parameters: %w", err)
	}
	return b, nil
}

// validateTags applies KFP's limits: at most 20 tags, keys and values of at
// most 63 characters, no "." in keys.
func validateTags(tags map[string]string) error {
	if len(tags) > 20 {
		return invalidf("tags: at most 20 tags are allowed, got %d", len(tags))
	}
	for k, v := range tags {
		switch {
		case k == "":
			return invalidf("tags: a tag key must not be empty")
		case len(k) > 63:
			return invalidf("tags: key %q is longer than 63 characters", k)
		case len(v) > 63:
			return invalidf("tags: the value of %q is longer than 63 characters", k)
		case bytes.ContainsRune([]byte(k), '.'):
			return invalidf("tags: key %q must not contain \".\"", k)
		}
	}
	return nil
}
