package api

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/sluicehq/sluice/spec"
)

// maxMarkdownBytes bounds the Markdown artifact rendered at once.
const maxMarkdownBytes = 4 << 20

// markdownRoutes adds GET /apis/sluice/v1/markdown?uri=URI[&path=FILE]: a
// Markdown artifact rendered to HTML (GitHub-flavoured tables and lists)
// and sanitized, for the web UI to show in a sandboxed frame.
func (s *server) markdownRoutes() {
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	policy := bluemonday.UGCPolicy()
	s.mux.HandleFunc("GET "+sluicePrefix+"/markdown", func(w http.ResponseWriter, r *http.Request) {
		uri := r.URL.Query().Get("uri")
		if uri == "" {
			s.writeRPCError(w, r, invalidf("uri is required"))
			return
		}
		local := spec.LocalPath(uri)
		if !filepath.IsAbs(local) {
			s.writeRPCError(w, r, invalidf("artifact %q is not stored on this server", uri))
			return
		}
		if sub := r.URL.Query().Get("path"); sub != "" {
			local = filepath.Join(local, filepath.FromSlash(sub))
		}
		p, err := s.insideRoot(local)
		if err != nil {
			s.writeRPCError(w, r, err)
			return
		}
		f, err := os.Open(p)
		if err != nil {
			s.writeRPCError(w, r, errorf(codeNotFound, "artifact %q: %v", uri, err))
			return
		}
		defer f.Close()
		if info, err := f.Stat(); err == nil && info.IsDir() {
			s.writeRPCError(w, r, invalidf("artifact %q is a directory: name a file with path=", uri))
			return
		}
		src, err := io.ReadAll(io.LimitReader(f, maxMarkdownBytes))
		if err != nil {
			s.writeRPCError(w, r, err)
			return
		}
		var out bytes.Buffer
		if err := md.Convert(src, &out); err != nil {
			s.writeRPCError(w, r, errorf(codeInternal, "render %q: %v", uri, err))
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox")
		w.Write(policy.SanitizeBytes(out.Bytes()))
	})
}
