package api

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// A Guard keeps other web sites out of a server that listens on a user's
// machine. Every request must name the server in its Host header — a
// loopback name or the address it listens on, with the port the request
// arrived on, or a name of --allowed-hosts — so that a DNS-rebinding page
// (evil.example resolving to 127.0.0.1) cannot read its answers; and a
// write (any method but GET, HEAD and OPTIONS) must come from the same
// origin or carry no Origin at all (kfp.Client, the sluice CLI, curl), so
// that a page the user visits cannot start a run. Browsers always send
// Origin with a cross-origin POST, and Sec-Fetch-Site where they support
// it; both are checked.
type Guard struct {
	// bindHost is the host --addr names when it is a specific name or
	// address (not a wildcard): requests may use it.
	bindHost string
	// allowed are the --allowed-hosts entries.
	allowed []hostPattern
	anyHost bool
}

// hostPattern is one --allowed-hosts entry: a host name or IP, optionally
// with a port (without one, any port matches), or "*.domain" for the
// names under a domain.
type hostPattern struct {
	host   string // lower case, no brackets; "*.example.com" for subdomains
	port   string // "" for any
	source string
}

// NewGuard returns the Guard of a server listening on addr (the --addr
// value, host:port) that also answers to allowedHosts. An allowedHosts
// entry "*" turns the Host check off (for a proxy that checks it).
func NewGuard(addr string, allowedHosts []string) (*Guard, error) {
	g := &Guard{}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		host = normHost(host)
		if ip, err := netip.ParseAddr(host); host != "" && (err != nil || !ip.IsUnspecified()) {
			g.bindHost = host
		}
	}
	for _, raw := range allowedHosts {
		p, err := parseHostPattern(raw)
		if err != nil {
			return nil, err
		}
		if p.host == "*" {
			g.anyHost = true
			continue
		}
		g.allowed = append(g.allowed, p)
	}
	return g, nil
}

// ParseAllowedHosts splits a comma- or space-separated --allowed-hosts
// value and checks each entry.
func ParseAllowedHosts(s string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if _, err := parseHostPattern(f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func parseHostPattern(raw string) (hostPattern, error) {
	s := strings.TrimSpace(raw)
	bad := func(why string) (hostPattern, error) {
		return hostPattern{}, fmt.Errorf("--allowed-hosts %q: %s (want a host name or IP, optionally with :port, \"*.domain\", or \"*\")", raw, why)
	}
	switch {
	case s == "":
		return bad("empty")
	case s == "*":
		return hostPattern{host: "*", source: raw}, nil
	case strings.Contains(s, "://") || strings.ContainsAny(s, "/?#@"):
		return bad("not a host")
	}
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return bad("bad port")
		}
	} else if strings.Count(s, ":") > 1 && !strings.HasPrefix(s, "[") {
		host = s // a bare IPv6 address
	} else if strings.Contains(s, ":") && !strings.HasSuffix(s, "]") {
		return bad("bad port")
	}
	host = normHost(host)
	name := strings.TrimPrefix(host, "*.")
	if name == "" || strings.Contains(name, "*") || strings.ContainsAny(name, " []") {
		return bad("bad host")
	}
	return hostPattern{host: host, port: port, source: raw}, nil
}

// normHost lower-cases a host and drops IPv6 brackets and a trailing dot.
func normHost(h string) string {
	h = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
	return strings.TrimSuffix(h, ".")
}

// splitHost splits a Host header into its host and port ("" when absent).
func splitHost(hostport string) (host, port string) {
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		return normHost(h), p
	}
	return normHost(hostport), ""
}

// refused is a request the Guard turns away: 403, PermissionDenied.
func refused(format string, args ...any) error {
	return errorf(codePermissionDenied, format, args...)
}

// Check says why a request must be refused (an error for a 403), or nil.
func (g *Guard) Check(r *http.Request) error {
	if err := g.checkHost(r); err != nil {
		return err
	}
	return checkOrigin(r)
}

func (g *Guard) checkHost(r *http.Request) error {
	if g.anyHost {
		return nil
	}
	host, port := splitHost(r.Host)
	localIP, localPort := localAddr(r)
	if host != "" {
		for _, p := range g.allowed {
			if p.port != "" && p.port != port {
				continue
			}
			if p.host == host || strings.HasPrefix(p.host, "*.") && strings.HasSuffix(host, p.host[1:]) {
				return nil
			}
		}
		if port != "" && port == localPort {
			if host == "localhost" || host == g.bindHost {
				return nil
			}
			if ip, err := netip.ParseAddr(host); err == nil && (ip.Unmap().IsLoopback() || ip.Unmap() == localIP) {
				return nil
			}
		}
	}
	names := []string{"localhost:" + localPort, "127.0.0.1:" + localPort, "[::1]:" + localPort}
	if g.bindHost != "" {
		names = append(names, net.JoinHostPort(g.bindHost, localPort))
	} else if localIP.IsValid() && !localIP.IsLoopback() {
		names = append(names, net.JoinHostPort(localIP.String(), localPort))
	}
	for _, p := range g.allowed {
		names = append(names, p.source)
	}
	what := fmt.Sprintf("Host %q", r.Host)
	if r.Host == "" {
		what = "a request without a Host header"
	}
	allow := host
	if host == "" {
		allow = "NAME"
	}
	return refused("request refused: %s is not a name of this server (it answers to %s), "+
		"so that a web page cannot reach it through a DNS name of its own; to use this name, start the server "+
		"with --allowed-hosts=%s (or SLUICE_ALLOWED_HOSTS)", what, strings.Join(names, ", "), allow)
}

// localAddr is the address the request's connection arrived on.
func localAddr(r *http.Request) (netip.Addr, string) {
	a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return netip.Addr{}, ""
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}, ""
	}
	return ap.Addr().Unmap(), fmt.Sprint(ap.Port())
}

// isWrite says whether a method changes something.
func isWrite(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

const sameOriginHint = "the API takes writes only from its own web UI or from clients that send no Origin (kfp.Client, the sluice CLI, curl); no setting allows other origins"

// checkOrigin refuses cross-origin writes: an Origin that is not the
// request's own (scheme aside: a TLS proxy may stand in front), "null"
// (sandboxed frames, local files), or Sec-Fetch-Site cross-site or
// same-site.
func checkOrigin(r *http.Request) error {
	if !isWrite(r.Method) {
		return nil
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "cross-site", "same-site":
		return refused("cross-origin request refused: %s %s came from another site (Sec-Fetch-Site: %s); %s", r.Method, r.URL.Path, site, sameOriginHint)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	if !sameOrigin(origin, r.Host) {
		return refused("cross-origin request refused: %s %s from Origin %q to Host %q; %s", r.Method, r.URL.Path, origin, r.Host, sameOriginHint)
	}
	return nil
}

// sameOrigin says whether an Origin header names the host and port of a
// Host header (a missing port being the Origin scheme's default).
func sameOrigin(origin, hostHeader string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.Path != "" || u.User != nil {
		return false
	}
	def := "80"
	if u.Scheme == "https" {
		def = "443"
	}
	oh, op := splitHost(u.Host)
	hh, hp := splitHost(hostHeader)
	if op == "" {
		op = def
	}
	if hp == "" {
		hp = def
	}
	return oh != "" && oh == hh && op == hp
}

// checkContentType refuses an API write whose body is not what the route
// reads: JSON, or for the uploads multipart/form-data. A write without a
// body may come without a Content-Type (curl -X POST).
func checkContentType(r *http.Request) error {
	if !isWrite(r.Method) {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" && r.ContentLength == 0 {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	upload := isUpload(r.URL.Path)
	want := "application/json"
	if upload {
		want = "multipart/form-data"
	}
	if err == nil && mt == want {
		return nil
	}
	got := "no Content-Type"
	if ct != "" {
		got = fmt.Sprintf("Content-Type %q", ct)
	}
	msg := fmt.Sprintf("unsupported media type: %s %s was sent with %s; send the body as Content-Type: application/json (curl: -H 'Content-Type: application/json')", r.Method, r.URL.Path, got)
	if upload {
		msg = fmt.Sprintf("unsupported media type: %s %s was sent with %s; send the pipeline file as multipart/form-data in the form field %q (curl: -F %s=@pipeline.yaml)", r.Method, r.URL.Path, got, uploadField, uploadField)
	}
	return &apiError{code: codeInvalidArgument, status: http.StatusUnsupportedMediaType, msg: msg}
}

// apiCSP is the Content-Security-Policy of API answers: none is a
// document a browser should render or run.
const apiCSP = "default-src 'none'; frame-ancestors 'self'; sandbox"

// setHeaders sets the headers every answer of the server carries: no
// content sniffing, framed only by its own pages, no Referer to other
// sites.
func setHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Referrer-Policy", "same-origin")
}

// Handler wraps h (the web UI, /metrics) with the Guard's checks and the
// headers every answer carries; the API handler of New applies them
// itself.
func (g *Guard) Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setHeaders(w.Header())
		if err := g.Check(r); err != nil {
			writeStatus(w, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}
