package launcher

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/spec"
)

// ReadOutputs collects a finished step's outputs: parameters from the
// ExecutorOutput file, else from their output files (converted by declared
// type); artifacts as provisioned, updated by the ExecutorOutput. The
// step wrote these files: they are read through root (nil: the file
// system as it is), bounded (MaxExecutorOutput, MaxParameterFile).
func ReadOutputs(comp *spec.ComponentSpec, in *spec.ExecutorInput, root *rundir.Root) (*plan.Outputs, error) {
	out := &plan.Outputs{Parameters: map[string]any{}, Artifacts: map[string][]*spec.RuntimeArtifact{}}
	sf := stepFiles{root: root}
	var eo spec.ExecutorOutput
	if f := in.Outputs.OutputFile; f != "" {
		b, err := sf.read(f, MaxExecutorOutput)
		switch {
		case err == nil:
			if err := json.Unmarshal(b, &eo); err != nil {
				return nil, fmt.Errorf("read executor output %s: %v", f, err)
			}
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("read executor output: %w", err)
		}
	}
	var defs *spec.Interface
	if comp.OutputDefinitions != nil {
		defs = comp.OutputDefinitions
	} else {
		defs = &spec.Interface{}
	}
	for name, pd := range defs.Parameters {
		v, ok := eo.ParameterValues[name]
		if !ok {
			if tv, okOld := eo.Parameters[name]; okOld {
				v, ok = tv.Value(), true
			}
		}
		if !ok {
			op := in.Outputs.Parameters[name]
			if op == nil || op.OutputFile == "" {
				continue
			}
			b, err := sf.read(op.OutputFile, MaxParameterFile)
			if errors.Is(err, fs.ErrNotExist) {
				continue // absent: an error only if a consumer needs it
			}
			if err != nil {
				return nil, fmt.Errorf("output parameter %q: %w", name, err)
			}
			pv, err := ParseOutputParam(string(b), pd.ParameterType)
			if err != nil {
				return nil, fmt.Errorf("output parameter %q: %v", name, err)
			}
			v, ok = pv, true
		}
		cv, err := plan.Coerce(v, pd.ParameterType)
		if err != nil {
			return nil, fmt.Errorf("output parameter %q: %v", name, err)
		}
		out.Parameters[name] = cv
	}
	for name, list := range in.Outputs.Artifacts {
		arts := make([]*spec.RuntimeArtifact, 0, len(list.Artifacts))
		for i, a := range list.Artifacts {
			cp := *a
			cp.Metadata = cloneMap(a.Metadata)
			if upd := eo.Artifacts[name]; upd != nil && i < len(upd.Artifacts) && upd.Artifacts[i] != nil {
				u := upd.Artifacts[i]
				if u.URI != "" {
					cp.URI = u.URI
				}
				for k, v := range u.Metadata {
					cp.Metadata[k] = v
				}
				if u.CustomPath != "" {
					cp.CustomPath = u.CustomPath
				}
			}
			arts = append(arts, &cp)
		}
		out.Artifacts[name] = arts
	}
	return out, nil
}

// ParseOutputParam converts the text a step wrote to an output parameter
// file: STRING raw (not trimmed), other types trimmed and parsed.
func ParseOutputParam(text, typ string) (any, error) {
	if typ == spec.TypeString {
		return text, nil
	}
	t := strings.TrimSpace(text)
	switch typ {
	case spec.TypeBoolean:
		switch strings.ToLower(t) {
		case "true", "1", "t":
			return true, nil
		case "false", "0", "f":
			return false, nil
		}
		return nil, fmt.Errorf("expected a boolean, got %q", t)
	case spec.TypeList, spec.TypeStruct:
		var v any
		if err := json.Unmarshal([]byte(t), &v); err != nil {
			return nil, fmt.Errorf("expected JSON, got %q", t)
		}
		return v, nil
	}
	return plan.Coerce(t, typ)
}

// uploadCustomPaths copies output artifacts that a step wrote to a path of
// its choosing (Artifact.set_path / custom_path) to their URI's location, as
// the KFP launcher uploads them, so that consumers find them there.
func uploadCustomPaths(s *Step, out *plan.Outputs, owner *uint32) error {
	var root *rundir.Root
	defer func() {
		if root != nil {
			root.Close()
		}
	}()
	for name, arts := range out.Artifacts {
		for _, a := range arts {
			if a.CustomPath == "" {
				continue
			}
			dst := s.localPath(a.URI)
			if !filepath.IsAbs(dst) || filepath.Clean(dst) == filepath.Clean(a.CustomPath) {
				continue
			}
			if _, err := os.Stat(a.CustomPath); err != nil {
				continue // nothing written: registered empty, like any output
			}
			if root == nil {
				var err error
				if root, err = s.Paths.Open(); err != nil {
					return err
				}
			}
			// Only into the run's own directory: a URI the step's
			// ExecutorOutput changed cannot make Sluice replace a
			// directory elsewhere.
			if err := copyTree(root, a.CustomPath, dst, owner); err != nil {
				return fmt.Errorf("output artifact %q: copy from custom path: %w", name, err)
			}
			a.CustomPath = ""
		}
	}
	return nil
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
