package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/spec"
)

// maxMarkdownBytes bounds the Markdown artifact rendered at once.
const maxMarkdownBytes = 4 << 20

// markdownRoutes adds GET /apis/sluice/v1/markdown?uri=URI[&path=FILE]: a
// Markdown artifact rendered to HTML (GitHub-flavoured tables and lists)
// and made safe (renderMarkdown), for the web UI to show in a sandboxed
// frame. With
// &output=N the artifact is a KFP v1 mlpipeline-ui-metadata file and what
// is rendered is its Nth output, a markdown visualization: its inline
// source, or the file its source names (read like any artifact: from the
// artifact root or the artifact store only).
func (s *server) markdownRoutes() {
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
		f, err := s.openLocal(local)
		if errors.Is(err, rundir.ErrNotRegular) {
			s.writeRPCError(w, r, invalidf("artifact %q is not a regular file (for a directory, name a file in it with path=)", uri))
			return
		}
		if err != nil {
			s.writeRPCError(w, r, err)
			return
		}
		defer f.Close()
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
		out, err := renderMarkdown(src)
		if err != nil {
			s.writeRPCError(w, r, errorf(codeInternal, "render %q: %v", uri, err))
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox")
		w.Write(out)
	})
}

// markdown is the renderer, built when the first artifact is rendered.
var markdown = sync.OnceValue(func() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(safeURLs{}, 0))),
	)
})

// renderMarkdown renders Markdown written by anyone to HTML that runs
// nothing. goldmark, without its unsafe option, writes no raw HTML (a
// comment stands in for each <script>, <iframe> or <img onerror>), escapes
// all text and attribute values, and adds no attributes of its own beyond
// table alignment and task-list checkboxes; safeURLs keeps only links and
// images whose URL cannot run code (goldmark's own list of dangerous URLs
// is a deny-list: this is the allow-list).
func renderMarkdown(src []byte) ([]byte, error) {
	var out bytes.Buffer
	if err := markdown().Convert(src, &out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// safeURLs is an allow-list on the URLs that Markdown turns into links and
// images: a link may go to http, https or mailto or be relative; an image
// may come from http or https (which the frame's policy does not load) or
// be a data: PNG, GIF, JPEG or WebP image (which it shows). Anything else
// (javascript:, vbscript:, data:text/html, file:, data:image/svg+xml, a
// scheme hidden behind character references, ...) becomes its text.
type safeURLs struct{}

// Transform implements parser.ASTTransformer.
func (safeURLs) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	src := reader.Source()
	var unsafe []ast.Node
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			// As the renderer writes it: references resolved, escaped.
			if !linkURLSafe(util.URLEscape(n.Destination, true)) {
				unsafe = append(unsafe, n)
			}
		case *ast.Image:
			if !imageURLSafe(util.URLEscape(n.Destination, true)) {
				unsafe = append(unsafe, n)
			}
		case *ast.AutoLink:
			u := n.URL(src)
			if n.AutoLinkType == ast.AutoLinkEmail && !bytes.HasPrefix(bytes.ToLower(u), []byte("mailto:")) {
				u = append([]byte("mailto:"), u...)
			}
			if !linkURLSafe(util.URLEscape(u, false)) {
				unsafe = append(unsafe, n)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, n := range unsafe {
		parent := n.Parent()
		if parent == nil {
			continue
		}
		if a, ok := n.(*ast.AutoLink); ok {
			parent.ReplaceChild(parent, n, ast.NewString(a.Label(src)))
			continue
		}
		// A link or an image gives way to its text.
		for c := n.FirstChild(); c != nil; {
			next := c.NextSibling()
			parent.InsertBefore(parent, n, c)
			c = next
		}
		parent.RemoveChild(parent, n)
	}
}

// urlScheme returns the lower-cased scheme of a URL as a browser reads it
// (leading spaces and control characters skipped, tabs and newlines
// ignored), or "" for a relative URL.
func urlScheme(u []byte) string {
	u = bytes.TrimLeftFunc(u, func(r rune) bool { return r <= ' ' })
	var scheme []byte
	for _, c := range u {
		switch {
		case c == '\t' || c == '\n' || c == '\r':
			continue
		case c == ':':
			if len(scheme) == 0 {
				return ""
			}
			return strings.ToLower(string(scheme))
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z',
			len(scheme) > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
			scheme = append(scheme, c)
		default:
			return "" // a path, query or fragment before any colon
		}
	}
	return ""
}

// linkURLSafe reports whether a link may point at u.
func linkURLSafe(u []byte) bool {
	switch urlScheme(u) {
	case "", "http", "https", "mailto":
		return true
	}
	return false
}

// imageURLSafe reports whether an image may be loaded from u.
func imageURLSafe(u []byte) bool {
	switch urlScheme(u) {
	case "", "http", "https":
		return true
	case "data":
		// data:image/png;base64,... (no other parameters: a browser
		// would take the type from them).
		_, rest, _ := bytes.Cut(bytes.TrimLeftFunc(u, func(r rune) bool { return r <= ' ' }), []byte(":"))
		mediaType, _, ok := bytes.Cut(rest, []byte(";base64,"))
		if !ok {
			return false
		}
		switch strings.ToLower(string(mediaType)) {
		case "image/png", "image/gif", "image/jpeg", "image/webp":
			return true
		}
	}
	return false
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
