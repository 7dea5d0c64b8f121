package engine

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
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
// AllowedRoots when they are set, and so must every local URI an importer
// of ps imports when the spec gives it as a constant (CheckImportURI).
// Bucket roots and URIs are not the machine's files and are not confined.
// The error is a *PipelineRootError.
func (e *Engine) CheckPipelineRoot(ps *spec.PipelineSpec, requested string) error {
	if e.AllowedRoots == nil {
		return nil
	}
	if err := e.checkRoot(ps, requested); err != nil {
		return err
	}
	return e.checkImporters(ps)
}

func (e *Engine) checkRoot(ps *spec.PipelineSpec, requested string) error {
	root := e.pipelineRoot(ps, requested)
	if root == "" || artifact.IsBucketURI(root) {
		return nil
	}
	field := "runtime_config.pipeline_root"
	if requested == "" {
		field = "pipeline_spec.defaultPipelineRoot"
	}
	if e.allowedPath(strings.TrimPrefix(root, "file://")) {
		return nil
	}
	return rootErrorf("%s %q is outside the server's artifact store (local pipeline roots must lie under %s; a server allows more with --allowed-pipeline-roots)",
		field, root, strings.Join(e.AllowedRoots, ", "))
}

// CheckImportURI reports whether the importer task (its id or name) may
// import uri here: on a server (AllowedRoots set) a local URI (a path, a
// file:// URL) must lie under one of AllowedRoots once its links are
// resolved, as a pipeline root must, so that a pipeline's author cannot
// have the server copy or read a file of its machine for a step. Bucket
// URIs are not the machine's files. The error is a *PipelineRootError.
func (e *Engine) CheckImportURI(task, uri string) error {
	if e.AllowedRoots == nil || artifact.IsBucketURI(uri) {
		return nil
	}
	if e.allowedPath(spec.LocalPath(uri)) {
		return nil
	}
	return rootErrorf("importer task %q: artifact URI %q is outside the server's artifact store (local importer URIs must lie under %s; a server allows more with --allowed-pipeline-roots)",
		task, uri, strings.Join(e.AllowedRoots, ", "))
}

// checkImporters checks, with CheckImportURI, every importer URI that ps
// gives as a constant: the importer's own, or the constant its task
// passes as the parameter the URI is read from. A URI holding a
// placeholder, or coming from a run parameter or another task, is checked
// when the importer runs.
func (e *Engine) checkImporters(ps *spec.PipelineSpec) error {
	dags := []*spec.ComponentSpec{ps.Root}
	for _, name := range slices.Sorted(maps.Keys(ps.Components)) {
		dags = append(dags, ps.Components[name])
	}
	for _, c := range dags {
		if c == nil || c.DAG == nil {
			continue
		}
		for _, key := range slices.Sorted(maps.Keys(c.DAG.Tasks)) {
			t := c.DAG.Tasks[key]
			uri, ok := importerConstant(ps, t)
			if !ok || strings.Contains(uri, "{{$") {
				continue
			}
			if err := e.CheckImportURI(key, uri); err != nil {
				return err
			}
		}
	}
	return nil
}

// importerConstant is the URI task t imports when it is an importer whose
// URI the spec gives as a constant.
func importerConstant(ps *spec.PipelineSpec, t *spec.TaskSpec) (string, bool) {
	if t == nil {
		return "", false
	}
	c := ps.Components[t.ComponentRef.Name]
	if c == nil {
		return "", false
	}
	ex := ps.DeploymentSpec.Executors[c.ExecutorLabel]
	if ex == nil || ex.Importer == nil {
		return "", false
	}
	v := ex.Importer.ArtifactURI.Constant
	if rp := ex.Importer.ArtifactURI.RuntimeParameter; rp != "" {
		v = nil
		if t.Inputs != nil {
			if in := t.Inputs.Parameters[rp]; in != nil && in.RuntimeValue != nil {
				v = in.RuntimeValue.Constant
			}
		}
	}
	uri, ok := v.(string)
	return uri, ok && uri != ""
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

// allowedPath reports whether the local path p is absolute and lies under
// one of AllowedRoots, links resolved on both sides.
func (e *Engine) allowedPath(p string) bool {
	if !filepath.IsAbs(p) {
		return false
	}
	p = resolve(p)
	for _, a := range e.AllowedRoots {
		if under(resolve(a), p) {
			return true
		}
	}
	return false
}
