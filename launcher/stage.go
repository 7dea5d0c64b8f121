package launcher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/spec"
)

// localPath maps an artifact URI to the file the step reads or writes: a
// remote URI to its mount path (spec.LocalPath) under the step's Scratch
// directory, anything else as spec.LocalPath does.
func (s *Step) localPath(uri string) string {
	if s.Scratch != "" && artifact.IsBucketURI(uri) {
		return rundir.Under(s.Scratch, spec.LocalPath(uri))
	}
	return spec.LocalPath(uri)
}

// uri is the URI of an output artifact: in the run's bucket, or on this
// machine.
func (s *Step) uri(name string) string {
	if !s.URIs.IsZero() {
		return s.URIs.Artifact(name)
	}
	return s.Paths.Artifact(name)
}

// storeFor returns the store holding a remote URI and its key there: the
// task's store when the URI lies inside it, else a store opened on the
// URI's bucket with credentials from the environment (kept for later use).
func (l *Launcher) storeFor(ctx context.Context, s *Step, uri string) (artifact.Store, string, error) {
	if s.Store != nil {
		if key, ok := artifact.KeyOf(s.Store, uri); ok {
			return s.Store, key, nil
		}
	}
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		return nil, "", fmt.Errorf("artifact URI %q: not a bucket URI", uri)
	}
	base := u.Scheme + "://" + u.Host
	l.mu.Lock()
	st, ok := l.stores[base]
	l.mu.Unlock()
	if !ok {
		st, err = artifact.Open(ctx, base)
		if err != nil {
			return nil, "", err
		}
		l.mu.Lock()
		if prev, ok := l.stores[base]; ok {
			st.Close()
			st = prev
		} else {
			if l.stores == nil {
				l.stores = map[string]artifact.Store{}
			}
			l.stores[base] = st
		}
		l.mu.Unlock()
	}
	key, ok := artifact.KeyOf(st, uri)
	if !ok {
		return nil, "", fmt.Errorf("artifact URI %q: no object key", uri)
	}
	return st, key, nil
}

// Close releases the stores the launcher opened for URIs outside the tasks'
// own stores.
func (l *Launcher) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	for k, s := range l.stores {
		errs = append(errs, s.Close())
		delete(l.stores, k)
	}
	return errors.Join(errs...)
}

// pathLock serializes downloads to one local path: steps running at once
// may consume the same artifact.
func (l *Launcher) pathLock(p string) func() {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*sync.Mutex{}
	}
	m, ok := l.locks[p]
	if !ok {
		m = &sync.Mutex{}
		l.locks[p] = m
	}
	l.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// download fetches a remote artifact to its local path unless it is
// already there (downloaded or produced earlier in this run).
func (l *Launcher) download(ctx context.Context, s *Step, a *spec.RuntimeArtifact, workspace string) error {
	if a == nil || a.CustomPath != "" || !artifact.IsBucketURI(a.URI) || s.Store == nil {
		return nil
	}
	if ws, _ := a.Metadata["_kfp_workspace"].(bool); ws {
		return nil // already in the workspace
	}
	local := spec.ArtifactLocalPath(a, workspace, s.localPath)
	unlock := l.pathLock(local)
	defer unlock()
	if _, err := os.Stat(local); err == nil {
		return nil
	}
	st, key, err := l.storeFor(ctx, s, a.URI)
	if err != nil {
		return err
	}
	// The download's directory is made inside the step's root (and is
	// there, not behind a link a step planted) before the store writes to
	// it.
	root, err := s.Paths.Open()
	if err != nil {
		return err
	}
	defer root.Close()
	if err := root.MkdirAll(filepath.Dir(local)); err != nil {
		return fmt.Errorf("download %s: %w", a.URI, err)
	}
	if err := st.Get(ctx, key, local); err != nil {
		_ = root.RemoveAll(local)
		return fmt.Errorf("download %s: %w", a.URI, err)
	}
	return nil
}

// stageInputs downloads every remote input artifact of a step.
func (l *Launcher) stageInputs(ctx context.Context, s *Step, in *spec.ExecutorInput) error {
	ws := s.System["workspace_path"]
	for name, list := range in.Inputs.Artifacts {
		for _, a := range list.Artifacts {
			if err := l.download(ctx, s, a, ws); err != nil {
				return fmt.Errorf("input artifact %q: %w", name, err)
			}
		}
	}
	return nil
}

// uploadOutputs stores every output artifact the step wrote under a remote
// URI. An output the step did not write stays unwritten, as locally. What
// is uploaded is read as a step's output (rundir.Output): regular files
// and directories, never through a link out of the run's directory (the
// step fails naming the artifact and the link), and, for a step run as
// --step-user, only that user's own files.
func (l *Launcher) uploadOutputs(ctx context.Context, s *Step, out map[string][]*spec.RuntimeArtifact) error {
	if s.Store == nil {
		return nil
	}
	var root *rundir.Root
	defer func() {
		if root != nil {
			root.Close()
		}
	}()
	for name, arts := range out {
		for _, a := range arts {
			if !artifact.IsBucketURI(a.URI) {
				continue
			}
			local := s.localPath(a.URI)
			if _, err := os.Lstat(local); err != nil {
				continue
			}
			st, key, err := l.storeFor(ctx, s, a.URI)
			if err != nil {
				return fmt.Errorf("output artifact %q: %w", name, err)
			}
			if root == nil {
				if root, err = s.Paths.Open(); err != nil {
					return err
				}
			}
			files := rundir.Output{Root: root, Owner: l.stepOwner()}.Files(local)
			err = st.PutFiles(ctx, files, key)
			if errors.Is(err, fs.ErrNotExist) {
				continue // a link that leads nowhere: not written
			}
			if err != nil {
				return fmt.Errorf("output artifact %q: upload to %s: %w", name, a.URI, err)
			}
		}
	}
	return nil
}

// LogFlushInterval is how often a task's log is copied to a remote
// artifact store while the step runs.
var LogFlushInterval = time.Second

// OpenLog creates the step's log file (rundir.Task.Log) and returns it
// with the log's URI: its local path, or, for a step whose artifacts live
// in a bucket, its URI there, where it is copied while the step runs
// (every LogFlushInterval, when it grew) and when it is closed, so that it
// outlives the machine that ran it.
func (l *Launcher) OpenLog(ctx context.Context, s *Step) (io.WriteCloser, string, error) {
	root, err := s.Paths.Open()
	if err != nil {
		return nil, "", err
	}
	path := s.Paths.Log()
	f, err := root.Create(path, 0o644)
	root.Close()
	if err != nil {
		return nil, "", err
	}
	if s.URIs.IsZero() || s.Store == nil {
		return f, path, nil
	}
	uri := s.URIs.Log()
	if l.Remote() {
		// The remote launcher writes the log to the store itself; here it
		// is only streamed to the local file.
		return f, uri, nil
	}
	key, ok := artifact.KeyOf(s.Store, uri)
	if !ok {
		f.Close()
		return nil, "", fmt.Errorf("log URI %q is outside the artifact store", uri)
	}
	rl := &remoteLog{File: f, ctx: context.WithoutCancel(ctx), store: s.Store, key: key, path: path, done: make(chan struct{}), stopped: make(chan struct{})}
	if err := rl.flush(); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("log: %w", err)
	}
	go rl.loop()
	return rl, uri, nil
}

// remoteLog is a local log file mirrored to an artifact store.
type remoteLog struct {
	*os.File
	ctx     context.Context
	store   artifact.Store
	key     string
	path    string
	done    chan struct{}
	stopped chan struct{}

	mu   sync.Mutex
	size int64 // size at the last flush
}

func (r *remoteLog) loop() {
	defer close(r.stopped)
	tick := time.NewTicker(LogFlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-r.done:
			return
		case <-tick.C:
			_ = r.flush() // the final flush at Close reports errors
		}
	}
}

func (r *remoteLog) flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	info, err := os.Stat(r.path)
	if err != nil {
		return err
	}
	if info.Size() == r.size && r.size > 0 {
		return nil
	}
	if err := r.store.Put(r.ctx, r.path, r.key); err != nil {
		return err
	}
	r.size = info.Size()
	return nil
}

// Close closes the file and copies the whole log to the store.
func (r *remoteLog) Close() error {
	close(r.done)
	<-r.stopped
	cerr := r.File.Close()
	r.mu.Lock()
	r.size = -1 // force the last copy
	r.mu.Unlock()
	return errors.Join(cerr, r.flush())
}
