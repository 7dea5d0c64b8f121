package engine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/spec"
)

// Cache stores step outputs by cache key.
type Cache interface {
	// Get returns the outputs stored under key, if they are still usable.
	Get(ctx context.Context, key string) (*plan.Outputs, bool)
	// Put stores outputs under key.
	Put(ctx context.Context, key string, out *plan.Outputs) error
}

// FileCache is a Cache in a local directory, one JSON file per key. An
// entry whose local artifacts have disappeared is a miss.
type FileCache struct {
	Dir string
}

var _ Cache = (*FileCache)(nil)

// Get reads an entry.
func (c *FileCache) Get(_ context.Context, key string) (*plan.Outputs, bool) {
	b, err := os.ReadFile(filepath.Join(c.Dir, key+".json"))
	if err != nil {
		return nil, false
	}
	var out plan.Outputs
	if json.Unmarshal(b, &out) != nil {
		return nil, false
	}
	if !ArtifactsPresent(&out) {
		return nil, false
	}
	if out.Parameters == nil {
		out.Parameters = map[string]any{}
	}
	return &out, true
}

// ArtifactsPresent reports whether every local artifact of cached outputs
// still exists (remote ones are assumed to).
func ArtifactsPresent(out *plan.Outputs) bool {
	for _, arts := range out.Artifacts {
		for _, a := range arts {
			if a.CustomPath != "" || !isUnderLocalRoot(a.URI) {
				continue
			}
			if _, err := os.Stat(spec.LocalPath(a.URI)); err != nil {
				return false
			}
		}
	}
	return true
}

// isUnderLocalRoot reports whether a URI is a plain local path (not a
// remote object whose local path is only a mount point).
func isUnderLocalRoot(uri string) bool {
	return spec.LocalPath(uri) == uri || len(uri) > 7 && uri[:7] == "file://"
}

// Put writes an entry atomically.
func (c *FileCache) Put(_ context.Context, key string, out *plan.Outputs) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.Dir, key+".*.tmp")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(c.Dir, key+".json"))
}

// cacheKey is CacheKey for a step of the run: its input artifacts under
// the run's pipeline root (steps' outputs) are read through that root.
func (r *run) cacheKey(t *spec.TaskSpec, comp *spec.ComponentSpec, ex *spec.ExecutorSpec, in *plan.Inputs) (string, error) {
	root, err := r.dir.OpenParent()
	if err == nil {
		defer root.Close()
	}
	return CacheKey(r.ps.PipelineInfo.Name, t, comp, ex, in, root)
}

// CacheKey fingerprints a step: the pipeline name, the component's
// interface, the executor, the resolved input parameters and the content
// digest of every input artifact (ArtifactDigest, reading under root). A
// task's explicit cacheKey replaces the fingerprint.
func CacheKey(pipeline string, t *spec.TaskSpec, comp *spec.ComponentSpec, ex *spec.ExecutorSpec, in *plan.Inputs, root *rundir.Root) (string, error) {
	h := sha256.New()
	if t.CachingOptions != nil && t.CachingOptions.CacheKey != "" {
		fmt.Fprintf(h, "%s\x00%s\x00%s", pipeline, t.ComponentRef.Name, t.CachingOptions.CacheKey)
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	arts := map[string][]string{}
	for name, list := range in.Artifacts {
		for _, a := range list {
			arts[name] = append(arts[name], ArtifactDigest(a, root))
		}
	}
	key := struct {
		Pipeline  string              `json:"pipeline"`
		Inputs    *spec.Interface     `json:"inputs,omitempty"`
		Outputs   *spec.Interface     `json:"outputs,omitempty"`
		Executor  *spec.ExecutorSpec  `json:"executor"`
		Params    map[string]any      `json:"params"`
		Artifacts map[string][]string `json:"artifacts"`
	}{pipeline, comp.InputDefinitions, comp.OutputDefinitions, ex, in.Params, arts}
	b, err := json.Marshal(key)
	if err != nil {
		return "", err
	}
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ArtifactDigest is a content digest of a local artifact (file or
// directory tree) plus its metadata. An artifact under root (nil: none),
// a step's output, is read as rundir.Output reads one, never through a
// link out of root; one elsewhere (an imported file) from its path as it
// is. An artifact that is not on local disk, or that cannot be read so
// (a link out, a FIFO), is digested by its URI and metadata instead: its
// consumer still gets it, the digest does not read through it.
func ArtifactDigest(a *spec.RuntimeArtifact, root *rundir.Root) string {
	h := sha256.New()
	md, _ := json.Marshal(a.Metadata)
	fmt.Fprintf(h, "%s\x00%s\x00", a.Type.SchemaTitle, md)
	p := a.CustomPath
	if p == "" {
		p = spec.LocalPath(a.URI)
	}
	if filepath.IsAbs(p) {
		o := rundir.Output{}
		if root != nil && root.Contains(p) {
			o.Root = root
		}
		content := sha256.New()
		err := o.Walk(p, func(rel string, f *os.File) error {
			if rel != "" {
				fmt.Fprintf(content, "\x00%s\x00", rel)
			}
			_, err := io.Copy(content, f)
			return err
		})
		if err == nil {
			h.Write(content.Sum(nil))
			return hex.EncodeToString(h.Sum(nil))
		}
	}
	fmt.Fprintf(h, "uri:%s", a.URI)
	return hex.EncodeToString(h.Sum(nil))
}

// NewID returns a random run id in UUID form.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
