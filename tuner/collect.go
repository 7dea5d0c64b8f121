package tuner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/tune"
)

// The task kind whose steps run and report (engine.KindContainer; the
// tuning service does not link the engine).
const kindContainer = "container"

// Limits on what is read of a trial's files.
const (
	// maxMetricsFile bounds an mlpipeline-metrics file.
	maxMetricsFile = 1 << 20
)

// live is a trial's metrics collection: its collector, how far each task's
// output was read, and which tasks are done.
type live struct {
	c       *tune.Collector
	offsets map[string]int64
	ended   map[string]bool
	tasks   []TaskTime
	seen    map[string]bool // names logged to Metrics artifacts
}

func (l *live) seenNames() []string {
	var out []string
	for n := range l.seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func joinLimited(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(", … (%d more)", len(names)-n)
}

// collect reads what a trial's run has reported since the last call: the
// new output of its tasks (StdOut collector: each task's log; File
// collector: the metrics file in each task's working directory), and, for
// each task that ended, its KFP Metrics artifacts and v1
// mlpipeline-metrics. final: the run has ended, every task is read to its
// end.
func (w *worker) collect(ctx context.Context, ts *trialState, final bool) error {
	if ts.live == nil {
		c, err := tune.NewCollector(w.exp)
		if err != nil {
			return err
		}
		ts.live = &live{c: c, offsets: map[string]int64{}, ended: map[string]bool{}, seen: map[string]bool{}}
	}
	l := ts.live
	tasks, err := w.s.cfg.Store.ListTasks(ctx, ts.rec.RunID)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range tasks {
		if t.Kind != kindContainer || l.ended[t.ID] {
			continue
		}
		if err := w.readOutput(ctx, l, t); err != nil {
			errs = append(errs, err)
		}
		if !t.State.Terminal() && !final {
			continue
		}
		l.c.Flush(t.ID)
		l.ended[t.ID] = true
		if t.State != runstate.Succeeded {
			continue
		}
		if !t.Started.IsZero() && !t.Finished.IsZero() {
			l.tasks = append(l.tasks, TaskTime{ID: t.ID, Seconds: t.Finished.Sub(t.Started).Seconds(), Cached: t.Cached})
		}
		if err := w.readArtifacts(ctx, l, t); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// readOutput feeds the collector what a task wrote since the last read.
func (w *worker) readOutput(ctx context.Context, l *live, t *store.Task) error {
	if t.LogURI == "" {
		return nil
	}
	var uri string
	switch w.exp.Collector() {
	case tune.CollectorStdOut:
		uri = t.LogURI
	case tune.CollectorFile:
		if artifact.IsBucketURI(t.LogURI) {
			return nil // the working directory stays with the step (Kubernetes)
		}
		p, ok := w.exp.MetricsFile(filepath.Join(filepath.Dir(spec.LocalPath(t.LogURI)), "work"))
		if !ok {
			return nil
		}
		uri = p
	default:
		return nil
	}
	off := l.offsets[t.ID]
	n, err := w.readFrom(ctx, uri, off, func(p []byte) { l.c.Write(t.ID, p) })
	l.offsets[t.ID] = off + n
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, artifact.ErrNotFound) {
		return nil // nothing written yet
	}
	return err
}

// readArtifacts adds the reports of a succeeded task's Metrics artifacts
// (log_metric, in the artifact's metadata) and v1 mlpipeline-metrics
// files, timed at the task's end.
func (w *worker) readArtifacts(ctx context.Context, l *live, t *store.Task) error {
	if len(t.Outputs) == 0 {
		return nil
	}
	var out plan.Outputs
	if err := json.Unmarshal(t.Outputs, &out); err != nil {
		return fmt.Errorf("task %s: outputs: %w", t.ID, err)
	}
	var errs []error
	names := mapsKeys(out.Artifacts)
	slices.Sort(names)
	for _, name := range names {
		for _, a := range out.Artifacts[name] {
			if a == nil {
				continue
			}
			switch {
			case a.Type.SchemaTitle == "system.Metrics":
				reports := tune.MetadataMetrics(t.ID, a.Metadata, t.Finished)
				for _, r := range reports {
					l.seen[r.Name] = true
				}
				l.c.Add(reports...)
			case name == "mlpipeline-metrics" || name == "mlpipeline_metrics":
				var b []byte
				_, err := w.readFrom(ctx, a.URI, 0, func(p []byte) {
					if len(b)+len(p) <= maxMetricsFile {
						b = append(b, p...)
					}
				})
				if err != nil {
					errs = append(errs, fmt.Errorf("task %s: %s: %w", t.ID, name, err))
					continue
				}
				reports, err := tune.ParseMLPipelineMetrics(b, t.ID, t.Finished)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				for _, r := range reports {
					l.seen[r.Name] = true
				}
				l.c.Add(reports...)
			}
		}
	}
	return errors.Join(errs...)
}

func mapsKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// readFrom streams an object from offset off to its end into fn, returning
// the bytes read. Only objects inside the configured artifact store or the
// experiment's own pipeline root are read: a step cannot point the service
// at another file by naming it as an artifact's URI.
func (w *worker) readFrom(ctx context.Context, uri string, off int64, fn func([]byte)) (int64, error) {
	var rc io.ReadCloser
	if artifact.IsBucketURI(uri) {
		st := w.s.cfg.Artifacts
		if st == nil {
			return 0, fmt.Errorf("%s: no artifact store is configured", uri)
		}
		key, ok := artifact.KeyOf(st, uri)
		if !ok {
			return 0, fmt.Errorf("%s is outside the artifact store", uri)
		}
		r, err := st.Open(ctx, key)
		if err != nil {
			return 0, err
		}
		if _, err := io.CopyN(io.Discard, r, off); err != nil {
			r.Close()
			if errors.Is(err, io.EOF) {
				return 0, nil
			}
			return 0, err
		}
		rc = r
	} else {
		f, err := w.openConfined(spec.LocalPath(uri))
		if err != nil {
			return 0, err
		}
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			f.Close()
			return 0, err
		}
		rc = f
	}
	defer rc.Close()
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, err := rc.Read(buf)
		if k > 0 {
			fn(buf[:k])
			n += int64(k)
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
	}
}

// openConfined opens a local regular file a step may have planted
// anything at, if it lies inside a root the experiment's files may be in
// (the local artifact store, or the experiment's own pipeline root):
// through that root (rundir.Root), so that no link, even one the step
// swaps in while it is read, leads out of it, and without blocking, so
// that a FIFO there cannot hold the collector.
func (w *worker) openConfined(p string) (*os.File, error) {
	var roots []string
	if d, ok := w.s.cfg.Artifacts.(*artifact.DirStore); ok {
		roots = append(roots, d.Root())
	}
	if r := w.rec.PipelineRoot; r != "" && !artifact.IsBucketURI(r) {
		roots = append(roots, strings.TrimPrefix(r, "file://"))
	}
	root, q, err := rundir.OpenRootOf(roots, p)
	if errors.Is(err, rundir.ErrOutside) {
		return nil, fmt.Errorf("%s is outside the experiment's pipeline root and the artifact store", p)
	}
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.OpenRegular(q)
}
