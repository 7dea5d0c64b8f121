package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/spec"
)

// PipelineRootError is a local pipeline root outside the directories the
// engine may write runs under (Engine.AllowedRoots); its message names the
// field and the directories allowed.
type PipelineRootError struct{ msg string }

func (e *PipelineRootError) Error() string { return e.msg }

func rootErrorf(format string, args ...any) error {
	return &PipelineRootError{msg: fmt.Sprintf(format, args...)}
}

// pipelineRoot is the pipeline root a run of ps uses: the request's, else
// the spec's local defaultPipelineRoot, else the engine's default.
func (e *Engine) pipelineRoot(ps *spec.PipelineSpec, requested string) string {
	root := requested
	if def := strings.TrimPrefix(ps.DefaultPipelineRoot, "file://"); root == "" && filepath.IsAbs(def) {
		root = def
	}
	if root == "" {
		root = e.DefaultRoot
	}
	return root
}

// CheckPipelineRoot reports whether a run of ps asking for pipeline root
// requested ("" for none) may run here: a local pipeline root (the
// request's, or the spec's defaultPipelineRoot) must lie under one of
// AllowedRoots when they are set. Bucket roots are not the machine's
// files and are not confined. The error is a *PipelineRootError.
func (e *Engine) CheckPipelineRoot(ps *spec.PipelineSpec, requested string) error {
	root := e.pipelineRoot(ps, requested)
	if e.AllowedRoots == nil || root == "" || artifact.IsBucketURI(root) {
		return nil
	}
	field := "runtime_config.pipeline_root"
	if requested == "" {
		field = "pipeline_spec.defaultPipelineRoot"
	}
	dir := strings.TrimPrefix(root, "file://")
	if filepath.IsAbs(dir) {
		dir = resolve(dir)
		for _, a := range e.AllowedRoots {
			if under(resolve(a), dir) {
				return nil
			}
		}
	}
	return rootErrorf("%s %q is outside the server's artifact store (local pipeline roots must lie under %s; a server allows more with --allowed-pipeline-roots)",
		field, root, strings.Join(e.AllowedRoots, ", "))
}

// resolve is p cleaned, with the links of its longest existing ancestor
// resolved: a link under an allowed root cannot lead a run out of it.
func resolve(p string) string {
	p = filepath.Clean(p)
	rest := ""
	for dir := p; ; dir = filepath.Dir(dir) {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(real, rest)
		} else if !errors.Is(err, os.ErrNotExist) {
			return p
		}
		if dir == filepath.Dir(dir) {
			return p
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}

// under reports whether p is dir or lies under it (both clean).
func under(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
