package api

import (
	"html"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	// attrRE finds the href and src attributes of the rendered HTML.
	attrRE = regexp.MustCompile(`(?i)\s(href|src)\s*=\s*"([^"]*)"`)
	// tagRE finds the tags; quotedRE their quoted attribute values.
	tagRE    = regexp.MustCompile(`<[^>]*>`)
	quotedRE = regexp.MustCompile(`"[^"]*"`)
	// activeRE finds, in a tag without its attribute values, what may run
	// code or load a document: elements goldmark never writes, and
	// event-handler attributes.
	activeRE = regexp.MustCompile(`(?i)^<\s*/?\s*(script|iframe|object|embed|svg|math|form|style|link|meta|base)\b|\son[a-z]+\s*=`)
)

// checkInert fails unless every link in out goes to http, https, mailto or
// a relative URL, every image is http(s), relative or a raster data:
// image, and out has no element or attribute that runs code.
func checkInert(t *testing.T, in, out string) {
	t.Helper()
	for _, tag := range tagRE.FindAllString(out, -1) {
		if m := activeRE.FindString(quotedRE.ReplaceAllString(tag, `""`)); m != "" {
			t.Errorf("%q rendered %q into\n%s", in, tag, out)
		}
	}
	for _, m := range attrRE.FindAllStringSubmatch(out, -1) {
		// What a browser reads: the attribute unescaped, tabs and
		// newlines dropped, leading spaces and controls skipped.
		v := strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(html.UnescapeString(m[2]))
		v = strings.TrimLeft(v, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
		scheme := ""
		if u, err := url.Parse(v); err == nil {
			scheme = strings.ToLower(u.Scheme)
		} else if i := strings.IndexByte(v, ':'); i > 0 && !strings.ContainsAny(v[:i], "/?#%") {
			scheme = strings.ToLower(v[:i])
		}
		ok := scheme == "" || scheme == "http" || scheme == "https"
		if strings.EqualFold(m[1], "href") {
			ok = ok || scheme == "mailto"
		} else if scheme == "data" {
			ok = regexp.MustCompile(`^(?i)data:image/(png|gif|jpeg|webp);base64,`).MatchString(v)
		}
		if !ok {
			t.Errorf("%q rendered %s=%q (scheme %q) into\n%s", in, m[1], m[2], scheme, out)
		}
	}
}

// TestMarkdownHostile: Markdown written by an attacker renders to HTML
// that runs nothing and links nowhere but the web (the server writes no
// raw HTML and keeps only links and images whose URL is safe), while
// what a report needs (tables, task lists, links, inline raster images)
// still renders.
func TestMarkdownHostile(t *testing.T) {
	hostile := []struct{ in, text string }{
		{"[a](javascript:alert(1))", "a"},
		{"[a](JaVaScRiPt:alert(1))", "a"},
		{"[a](  javascript:alert(1))", "a"},
		{"[a](<java\tscript:alert(1)>)", "a"},
		{"[a](<java\nscript:alert(1)>)", ""},
		{"[a](&#106;avascript:alert(1))", "a"},
		{"[a](&#x6A;avascript&colon;alert(1))", "a"},
		{"[a](javascript&#58;alert(1))", "a"},
		{"[a](\\javascript:alert(1))", ""},
		{"[a](vbscript:msgbox(1))", "a"},
		{"[a](VBScript:msgbox(1))", "a"},
		{"[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "a"},
		{"[a](data:text/html,<script>alert(1)</script>)", "a"},
		{"[a](file:///etc/passwd)", "a"},
		{"[**bold** link](javascript:x) after", "link after"},
		{"[r][1]\n\n[1]: javascript:alert(1)", "r"},
		{"[r]\n\n[r]: <vbscript:x> \"t\"", "r"},
		{"<javascript:alert(1)>", "javascript:alert(1)"},
		{"<JAVASCRIPT:alert(1)>", "JAVASCRIPT:alert(1)"},
		{"<vbscript:msgbox(1)>", "vbscript:msgbox(1)"},
		{"<data:text/html,x>", "data:text/html,x"},
		{"![i](javascript:alert(1))", "i"},
		{"![alt *x*](vbscript:x) tail", "tail"},
		{"![i](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)", "i"},
		{"![i](data:text/html;base64,PHNjcmlwdD4=)", "i"},
		{"![i](&#100;ata:image/svg+xml;base64,PHN2Zz4=)", "i"},
		{"![i](data:image/png;foo=bar;base64,AAAA)", "i"},
		{"<script>alert(1)</script>", ""},
		{"<SCRIPT SRC=//evil.example/x.js></SCRIPT>", ""},
		{"<iframe src=\"javascript:alert(1)\"></iframe>", ""},
		{"<img src=x onerror=alert(1)>", ""},
		{"text <img src=x onerror=alert(1)> more", "more"},
		{"a <b onclick=alert(1)>b</b> <a href=\"javascript:alert(1)\">c</a>", "c"},
		{"<svg><script>alert(1)</script></svg>", ""},
		{"<style>body{background:url(javascript:alert(1))}</style>", ""},
		{"<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>", ""},
		{"<form action=javascript:alert(1)><button>x</button></form>", ""},
		{"[a](https://ok.example \"x\\\" onmouseover=\\\"alert(1)\")", "a"},
		{"[a](https://ok.example/\" onmouseover=\"alert(1))", ""},
		{"```\n<script>alert(1)</script>\n```", "&lt;script&gt;"},
		{"`<img src=x onerror=alert(1)>`", "&lt;img"},
		{"| <script>alert(1)</script> | [x](javascript:y) |\n|---|---|\n| 1 | 2 |", "x"},
	}
	root := t.TempDir()
	ts := newTestServer(t, func(c *Config) { c.ArtifactRoot = root })
	for i, tc := range hostile {
		p := filepath.Join(root, "hostile"+strings.Repeat("x", i)+".md")
		if err := os.WriteFile(p, []byte(tc.in), 0o644); err != nil {
			t.Fatal(err)
		}
		r := ts.doRaw(t, "/apis/sluice/v1/markdown?uri="+url.QueryEscape(p))
		if r.Status != 200 {
			t.Errorf("%q: status %d %s", tc.in, r.Status, r.Body)
			continue
		}
		out := string(r.Body)
		checkInert(t, tc.in, out)
		// An unsafe link becomes its text, not a link to nowhere.
		if strings.Contains(out, `href=""`) || strings.Contains(out, `src=""`) {
			t.Errorf("%q: an empty link or image:\n%s", tc.in, out)
		}
		if !strings.Contains(out, tc.text) {
			t.Errorf("%q: its text %q is gone:\n%s", tc.in, tc.text, out)
		}
	}

	kept := []struct{ in, want string }{
		{"| a | b |\n|:--|--:|\n| 1 | 2 |", `<td style="text-align:right">2</td>`},
		{"- [x] done\n- [ ] todo", `<li><input checked="" disabled="" type="checkbox"> done</li>`},
		{"[ok](https://ok.example/a?b=1#c)", `<a href="https://ok.example/a?b=1#c">ok</a>`},
		{"[rel](other.md) [top](#top)", `<a href="other.md">rel</a> <a href="#top">top</a>`},
		{"[m](mailto:a@b.example)", `<a href="mailto:a@b.example">m</a>`},
		{"<https://ok.example>", `<a href="https://ok.example">https://ok.example</a>`},
		{"<a@b.example>", `<a href="mailto:a@b.example">a@b.example</a>`},
		{"see https://ok.example/x and www.ok.example", `<a href="https://ok.example/x">https://ok.example/x</a> and <a href="http://www.ok.example">www.ok.example</a>`},
		{"![chart](data:image/png;base64,iVBORw0KGgo=)", `<img src="data:image/png;base64,iVBORw0KGgo=" alt="chart">`},
		{"~~old~~ **new**", `<del>old</del> <strong>new</strong>`},
		{"1 < 2 & \"q\"", `1 &lt; 2 &amp; &quot;q&quot;`},
	}
	for _, tc := range kept {
		out, err := renderMarkdown([]byte(tc.in))
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		checkInert(t, tc.in, string(out))
		if !strings.Contains(string(out), tc.want) {
			t.Errorf("%q rendered\n%s\nwant it to contain %s", tc.in, out, tc.want)
		}
	}
}

// TestURLScheme: the scheme is read as a browser reads it.
func TestURLScheme(t *testing.T) {
	for in, want := range map[string]string{
		"javascript:x": "javascript", " \x01JavaScript:x": "javascript", "java\tscr\nipt:x": "javascript",
		"java%09script:x": "", "other.md": "", "a/b:c": "", "?q=a:b": "", "#a:b": "", ":x": "", "1http:x": "",
		"HTTPS://x": "https", "svn+ssh://x": "svn+ssh", "": "",
	} {
		if got := urlScheme([]byte(in)); got != want {
			t.Errorf("urlScheme(%q) = %q, want %q", in, got, want)
		}
	}
}
