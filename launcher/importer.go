package launcher

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/spec"
)

// ImportURI is the URI an importer step imports: its constant, or the
// value of the input parameter it names, with system placeholders
// substituted.
func ImportURI(s *Step) (string, error) {
	imp := s.Exec.Importer
	var uri any
	if imp.ArtifactURI.RuntimeParameter != "" {
		v, ok := s.Inputs.Params[imp.ArtifactURI.RuntimeParameter]
		if !ok {
			return "", fmt.Errorf("importer: input %q (the artifact URI) has no value", imp.ArtifactURI.RuntimeParameter)
		}
		uri = v
	} else {
		uri = imp.ArtifactURI.Constant
	}
	u, ok := uri.(string)
	if !ok || u == "" {
		return "", fmt.Errorf("importer: the artifact URI must be a non-empty string, got %v", uri)
	}
	return plan.SubstituteSystem(u, s.System), nil
}

// Import runs an importer task: one output artifact "artifact" from the
// resolved URI (ImportURI), with metadata templated from the task's
// parameters.
func (l *Launcher) Import(ctx context.Context, s *Step) (*plan.Outputs, error) {
	imp := s.Exec.Importer
	u, err := ImportURI(s)
	if err != nil {
		return nil, err
	}
	md := map[string]any{}
	for k, v := range imp.Metadata {
		md[spec.SubstituteInputParams(k, s.Inputs.Params)] = templateValue(v, s.Inputs.Params)
	}
	if imp.DownloadToWorkspace {
		ws := s.System["workspace_path"]
		if ws == "" {
			return nil, errors.New("importer: download_to_workspace needs a workspace")
		}
		a := &spec.RuntimeArtifact{URI: u, Metadata: map[string]any{"_kfp_workspace": true}}
		dst := spec.ArtifactLocalPath(a, ws, nil)
		root, err := s.Paths.Open()
		if err != nil {
			return nil, err
		}
		defer root.Close()
		if artifact.IsBucketURI(u) {
			st, key, err := l.storeFor(ctx, s, u)
			if err == nil {
				err = root.MkdirAll(filepath.Dir(dst))
			}
			if err == nil {
				err = st.Get(ctx, key, dst)
			}
			if err != nil {
				return nil, fmt.Errorf("importer: download %s to the workspace: %w", u, err)
			}
		} else {
			src := spec.LocalPath(u)
			if _, err := os.Stat(src); err != nil {
				return nil, fmt.Errorf("importer: download %s to the workspace: %v", u, err)
			}
			if err := copyTree(root, src, dst, nil); err != nil {
				return nil, fmt.Errorf("importer: download %s to the workspace: %w", u, err)
			}
		}
		md["_kfp_workspace"] = true
	}
	return &plan.Outputs{
		Parameters: map[string]any{},
		Artifacts: map[string][]*spec.RuntimeArtifact{"artifact": {{
			Name: "artifact", URI: u, Type: imp.TypeSchema, Metadata: md,
		}}},
	}, nil
}

func templateValue(v any, params map[string]any) any {
	switch x := v.(type) {
	case string:
		// A value that is exactly one placeholder takes the parameter's value
		// with its type; otherwise it is text.
		if strings.HasPrefix(x, "{{$.inputs.parameters['") && strings.HasSuffix(x, "']}}") && strings.Count(x, "{{") == 1 {
			name := strings.TrimSuffix(strings.TrimPrefix(x, "{{$.inputs.parameters['"), "']}}")
			if pv, ok := params[name]; ok {
				return pv
			}
		}
		return spec.SubstituteInputParams(x, params)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[spec.SubstituteInputParams(k, params)] = templateValue(e, params)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = templateValue(e, params)
		}
		return out
	}
	return v
}
