package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/sluicehq/sluice/spec"
)

// maxMarkdownBytes bounds the Markdown artifact rendered at once.
const maxMarkdownBytes = 4 << 20

// markdownRoutes adds GET /apis/sluice/v1/markdown?uri=URI[&path=FILE]: a
// Markdown artifact rendered to HTML (GitHub-flavoured tables and lists)
// and sanitized, for the web UI to show in a sandboxed frame. With
// &output=N the artifact is a KFP v1 mlpipeline-ui-metadata file and what
// is rendered is its Nth output, a markdown visualization: its inline
// source, or the file its source names (read like any artifact: from the
// artifact root or the artifact store only).
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
		if out := r.URL.Query().Get("output"); out != "" {
			if src, err = s.uiMarkdown(r, src, out); err != nil {
				s.writeRPCError(w, r, err)
				return
			}
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

// uiMarkdown returns the Markdown of output n of a KFP v1
// mlpipeline-ui-metadata file.
func (s *server) uiMarkdown(r *http.Request, doc []byte, n string) ([]byte, error) {
	i, err := strconv.Atoi(n)
	if err != nil || i < 0 {
		return nil, invalidf("output: expected the index of a visualization, got %q", n)
	}
	var md struct {
		Outputs []struct {
			Type    string `json:"type"`
			Storage string `json:"storage"`
			Source  any    `json:"source"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(doc, &md); err != nil {
		return nil, invalidf("the artifact is not KFP v1 visualizations (mlpipeline-ui-metadata JSON): %v", jsonErrText(err))
	}
	if i >= len(md.Outputs) {
		return nil, errorf(codeNotFound, "the visualizations have no output %d (they have %d)", i, len(md.Outputs))
	}
	o := md.Outputs[i]
	src, _ := o.Source.(string)
	switch {
	case o.Type != "markdown":
		return nil, invalidf("output %d is a %q visualization, not markdown", i, o.Type)
	case o.Storage == "inline":
		return []byte(src), nil
	case src == "":
		return nil, invalidf("output %d names no source", i)
	}
	rc, err := s.openBlob(r.Context(), src)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, maxMarkdownBytes))
}
