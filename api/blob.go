package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/spec"
)

// Logs and artifacts are read from the local artifact root (plain paths)
// or from the configured artifact store (bucket URIs); nothing outside
// those two is served.

// localRoot opens the local artifact root p lies under and returns it
// with p as a path under it: nothing outside the root is served, and what
// is served is opened through it (rundir.Root), so that no link a step
// left leads out of it, even one swapped in while it is read.
func (s *server) localRoot(p string) (*rundir.Root, string, error) {
	if s.cfg.ArtifactRoot == "" {
		return nil, "", errorf(codeFailedPrecondition, "this server has no local artifact root")
	}
	root, q, err := rundir.OpenRootOf([]string{s.cfg.ArtifactRoot}, p)
	if errors.Is(err, rundir.ErrOutside) {
		return nil, "", &apiError{code: codePermissionDenied, msg: fmt.Sprintf("%s is outside the artifact root", p), err: err}
	}
	if err != nil {
		return nil, "", errorf(codeNotFound, "artifact root: %v", err)
	}
	return root, q, nil
}

// localError is the answer to a local file that cannot be served: not
// found, a link out of the artifact root, or not a regular file (a FIFO,
// a device, a directory), which is not opened in a way that could block.
func localError(what string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &apiError{code: codeNotFound, msg: fmt.Sprintf("%s: no such file", what), err: err}
	case errors.Is(err, rundir.ErrOutside):
		return &apiError{code: codePermissionDenied, msg: fmt.Sprintf("%s leads out of the artifact root", what), err: err}
	}
	return &apiError{code: codeNotFound, msg: fmt.Sprintf("%s: %v", what, err), err: err}
}

// openLocal opens the regular file p under the local artifact root.
func (s *server) openLocal(p string) (*os.File, error) {
	root, q, err := s.localRoot(p)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.OpenRegular(q)
	if err != nil {
		return nil, localError(p, err)
	}
	return f, nil
}

// storeKey returns the key of a bucket URI in the configured store.
func (s *server) storeKey(uri string) (string, error) {
	if s.cfg.Artifacts == nil {
		return "", errorf(codeNotFound, "artifact %q is not stored on this server", uri)
	}
	key, ok := artifact.KeyOf(s.cfg.Artifacts, uri)
	if !ok {
		return "", errorf(codePermissionDenied, "%s is outside this server's artifact store", uri)
	}
	return key, nil
}

// openBlob opens one object: a file under the artifact root or an object
// of the artifact store.
func (s *server) openBlob(ctx context.Context, uri string) (io.ReadCloser, error) {
	return s.openBlobAt(ctx, uri, 0)
}

// openBlobAt opens one object positioned at offset: a file is seeked, a
// bucket object read with a ranged read, so nothing before offset is read.
func (s *server) openBlobAt(ctx context.Context, uri string, offset int64) (io.ReadCloser, error) {
	if artifact.IsBucketURI(uri) {
		key, err := s.storeKey(uri)
		if err != nil {
			return nil, err
		}
		rc, err := artifact.OpenAt(ctx, s.cfg.Artifacts, key, offset)
		if errors.Is(err, artifact.ErrNotFound) {
			return nil, errorf(codeNotFound, "%s: no such object", uri)
		}
		return rc, err
	}
	f, err := s.openLocal(spec.LocalPath(uri))
	if err != nil {
		return nil, err
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// logChunk is how much of a followed log is read at once.
const logChunk = 256 << 10

// streamLog sends what a log holds past offset, line by line, and returns
// the new offset. Each byte of the log is read once over a whole follow.
// An error (a log not written yet, a bucket copy being replaced) leaves
// the offset for the next poll.
func (s *server) streamLog(ctx context.Context, uri string, offset int64, out *logLines) int64 {
	rc, err := s.openBlobAt(ctx, uri, offset)
	if err != nil {
		return offset
	}
	defer rc.Close()
	buf := make([]byte, logChunk)
	for ctx.Err() == nil {
		n, err := rc.Read(buf)
		offset += int64(n)
		out.write(buf[:n])
		if err != nil {
			break
		}
	}
	return offset
}

// maxLogLine bounds a log line held in memory while following: a longer
// one is sent in pieces of about this size, each its own data line.
const maxLogLine = 1 << 20

// logLines splits a followed log into lines, each sent as one SSE data
// line; a line not ended yet waits in partial.
type logLines struct {
	sse     *sse
	partial []byte
}

func (l *logLines) write(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.partial = append(l.partial, b...)
			if len(l.partial) >= maxLogLine {
				l.sse.data(l.partial)
				l.partial = l.partial[:0]
			}
			return
		}
		line := b[:i]
		if len(l.partial) > 0 {
			l.partial = append(l.partial, line...)
			line = l.partial
		}
		l.sse.data(line)
		l.partial = l.partial[:0]
		b = b[i+1:]
	}
}

// end sends the last line when the log does not end with a newline.
func (l *logLines) end() {
	if len(l.partial) > 0 {
		l.sse.data(l.partial)
		l.partial = l.partial[:0]
	}
}

// taskLog serves a task's log; with ?follow=true it streams it as
// Server-Sent Events ("data:" lines, then "event: end" with the task's
// final state) while the task runs.
func (s *server) taskLog(w http.ResponseWriter, r *http.Request) {
	follow := r.URL.Query().Get("follow") == "true"
	t, err := s.findTask(r)
	// A followed task may not have started yet: wait for it while its run
	// is still going.
	for follow && err != nil && s.runActive(r) {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(pollEvery):
		}
		t, err = s.findTask(r)
	}
	if err != nil {
		s.writeRPCError(w, r, err)
		return
	}
	if t.LogURI == "" && !follow {
		s.writeRPCError(w, r, errorf(codeNotFound, "task %q has no log (it has not run a process)", t.ID))
		return
	}
	if !follow {
		rc, err := s.openBlob(r.Context(), t.LogURI)
		if err != nil {
			s.writeRPCError(w, r, err)
			return
		}
		defer rc.Close()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if f, ok := rc.(*os.File); ok {
			http.ServeContent(w, r, "log.txt", time.Time{}, f)
			return
		}
		io.Copy(w, rc)
		return
	}
	sse := newSSE(w)
	lines := &logLines{sse: sse}
	var offset int64
	for {
		if t.LogURI != "" {
			offset = s.streamLog(r.Context(), t.LogURI, offset, lines)
		}
		if t.State.Terminal() {
			lines.end()
			sse.send("end", string(t.State))
			return
		}
		sse.flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(pollEvery):
		}
		nt, err := s.findTask(r)
		if err != nil {
			sse.send("error", err.Error())
			return
		}
		t = nt
	}
}

// artifactCSP is the Content-Security-Policy of artifact content: a
// sandbox (an opaque origin, no scripts, no forms, no popups), nothing
// loaded from anywhere but the document itself, framed only by the UI. An
// HTML or SVG artifact written by a step therefore never runs on the
// UI's origin, even when a user opens its URL directly.
const artifactCSP = "sandbox; default-src 'none'; img-src data: blob:; media-src data: blob:; style-src 'unsafe-inline'; font-src data:; frame-ancestors 'self'"

// artifactHeaders sets the headers of artifact content: the sandbox CSP,
// nosniff, and Content-Disposition attachment, so that a browser saves the
// file rather than showing it, unless the UI asked for a preview
// (?preview=true), which is shown inline, still sandboxed.
func artifactHeaders(h http.Header, name string, preview bool) {
	disp := "attachment"
	if preview {
		disp = "inline"
	}
	if v := mime.FormatMediaType(disp, map[string]string{"filename": name}); v != "" {
		h.Set("Content-Disposition", v)
	} else {
		h.Set("Content-Disposition", disp)
	}
	h.Set("Content-Security-Policy", artifactCSP)
	h.Set("X-Content-Type-Options", "nosniff")
}

func isPreview(r *http.Request) bool { return r.URL.Query().Get("preview") == "true" }

// artifact serves the file behind an artifact URI (?uri=); for a directory
// artifact, ?path= names a file inside it, and without it the files are
// listed. Content is served as an attachment in a sandbox (see
// artifactHeaders); ?preview=true serves it inline, still sandboxed.
func (s *server) artifact(w http.ResponseWriter, r *http.Request) {
	uri := r.URL.Query().Get("uri")
	if uri == "" {
		s.writeRPCError(w, r, invalidf("uri is required"))
		return
	}
	sub := r.URL.Query().Get("path")
	if artifact.IsBucketURI(uri) {
		s.remoteArtifact(w, r, uri, sub)
		return
	}
	local := spec.LocalPath(uri)
	if !filepath.IsAbs(local) {
		s.writeRPCError(w, r, invalidf("artifact %q is not stored on this server", uri))
		return
	}
	if sub != "" {
		local = filepath.Join(local, filepath.FromSlash(sub))
	}
	root, p, err := s.localRoot(local)
	if err != nil {
		s.writeRPCError(w, r, err)
		return
	}
	defer root.Close()
	// A step's output, read as one: a file, or a directory's regular
	// files, never through a link out of the artifact root (such a link
	// is left out of a listing, and refused when named).
	files := []string{}
	served := false
	err = rundir.Output{Root: root, SkipOutside: true}.Walk(p, func(rel string, f *os.File) error {
		if rel != "" {
			files = append(files, rel)
			return nil
		}
		info, err := f.Stat()
		if err != nil {
			return err
		}
		artifactHeaders(w.Header(), filepath.Base(p), isPreview(r))
		http.ServeContent(w, r, filepath.Base(p), info.ModTime(), f)
		served = true
		return nil
	})
	switch {
	case served:
	case err != nil:
		s.writeRPCError(w, r, localError(fmt.Sprintf("artifact %q", uri), err))
	default:
		writeJSON(w, http.StatusOK, map[string]any{"uri": uri, "directory": true, "files": files})
	}
}

// remoteArtifact serves an artifact of the configured bucket store.
func (s *server) remoteArtifact(w http.ResponseWriter, r *http.Request, uri, sub string) {
	key, err := s.storeKey(uri)
	if err != nil {
		s.writeRPCError(w, r, err)
		return
	}
	if sub != "" {
		clean := path.Clean("/" + sub)[1:]
		if clean == "" || clean != sub {
			s.writeRPCError(w, r, invalidf("path %q: must be a relative path inside the artifact", sub))
			return
		}
		key += "/" + clean
	}
	st := s.cfg.Artifacts
	rc, err := st.Open(r.Context(), key)
	if err == nil {
		defer rc.Close()
		name := path.Base(key)
		if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
			w.Header().Set("Content-Type", ct)
		} else {
			w.Header().Set("Content-Type", "application/octet-stream")
		}
		artifactHeaders(w.Header(), name, isPreview(r))
		io.Copy(w, rc)
		return
	}
	if !errors.Is(err, artifact.ErrNotFound) {
		s.writeRPCError(w, r, err)
		return
	}
	keys, lerr := st.List(r.Context(), key)
	if lerr != nil {
		s.writeRPCError(w, r, lerr)
		return
	}
	if len(keys) == 0 {
		s.writeRPCError(w, r, errorf(codeNotFound, "artifact %q: no such object", uri))
		return
	}
	files := make([]string, 0, len(keys))
	for _, k := range keys {
		files = append(files, strings.TrimPrefix(k, key+"/"))
	}
	writeJSON(w, http.StatusOK, map[string]any{"uri": uri, "directory": true, "files": files})
}
