package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/store"
)

// send makes one raw request: the body as it is, with exactly the headers
// given (and no Content-Type unless given), to the Host given (or the
// server's own).
func (ts *testServer) send(t *testing.T, method, path, host string, header map[string]string, body []byte) response {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	hr, err := http.NewRequest(method, ts.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		hr.Host = host
	}
	for k, v := range header {
		hr.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// message is the error message of a google.rpc.Status or v1 error body.
func (r response) message() string {
	var m struct {
		Message      string `json:"message"`
		ErrorMessage string `json:"error_message"`
	}
	json.Unmarshal(r.Body, &m)
	return m.Message + m.ErrorMessage
}

func multipartBody(t *testing.T, field, name string, content []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func (ts *testServer) countRuns(t *testing.T) int {
	t.Helper()
	page, err := ts.st.ListRuns(context.Background(), store.ListOptions{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Items)
}

// A web page the user visits can send "simple" cross-origin requests
// (no preflight): POSTs with text/plain, form-urlencoded, multipart or no
// Content-Type. None of them may create a run, whatever the body says.
func TestCrossOriginWritesCannotCreateRuns(t *testing.T) {
	ts := newTestServer(t, nil)
	spec := string(readFile(t, "../examples/tutorial/pipeline.yaml"))
	runJSON, _ := json.Marshal(map[string]any{"display_name": "evil", "pipeline_spec": spec})
	form := []byte(url.Values{"display_name": {"evil"}, "pipeline_spec": {spec}}.Encode())
	mp, mpType := multipartBody(t, "pipeline_spec", "p.json", runJSON)
	bodies := []struct {
		name, ctype string
		body        []byte
	}{
		{"text/plain", "text/plain;charset=UTF-8", runJSON},
		{"form-urlencoded", "application/x-www-form-urlencoded", form},
		{"multipart", mpType, mp},
		{"no content type", "", runJSON},
	}
	self := strings.TrimPrefix(ts.URL, "http://")
	for _, b := range bodies {
		for _, from := range []struct {
			name   string
			header map[string]string
			status int
			msg    string
		}{
			{"other origin", map[string]string{"Origin": "http://evil.example"}, 403, `cross-origin request refused: POST /apis/v2beta1/runs from Origin "http://evil.example"`},
			{"other port", map[string]string{"Origin": "http://127.0.0.1:1"}, 403, "cross-origin request refused"},
			{"null origin", map[string]string{"Origin": "null"}, 403, "cross-origin request refused"},
			{"cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "Sec-Fetch-Site: cross-site"},
			{"same-site", map[string]string{"Origin": "http://" + self, "Sec-Fetch-Site": "same-site"}, 403, "Sec-Fetch-Site: same-site"},
			// Without an Origin (curl, scripts) the body must still be JSON.
			{"no origin", map[string]string{}, 415, "send the body as Content-Type: application/json"},
			{"same origin", map[string]string{"Origin": "http://" + self, "Sec-Fetch-Site": "same-origin"}, 415, "unsupported media type"},
		} {
			t.Run(b.name+"/"+from.name, func(t *testing.T) {
				h := map[string]string{}
				for k, v := range from.header {
					h[k] = v
				}
				if b.ctype != "" {
					h["Content-Type"] = b.ctype
				}
				res := ts.send(t, "POST", "/apis/v2beta1/runs", "", h, b.body)
				if res.Status != from.status || !strings.Contains(res.message(), from.msg) {
					t.Errorf("%d %s, want %d %q", res.Status, res.Body, from.status, from.msg)
				}
			})
		}
	}
	// The uploads take multipart, but only from no origin or the same one.
	pipeline := readFile(t, "testdata/params.yaml")
	up, upType := multipartBody(t, uploadField, "params.yaml", pipeline)
	for _, origin := range []string{"http://evil.example", "null"} {
		res := ts.send(t, "POST", "/apis/v2beta1/pipelines/upload?name=evil", "", map[string]string{"Content-Type": upType, "Origin": origin}, up)
		if res.Status != 403 || !strings.HasPrefix(res.message(), "cross-origin request refused") {
			t.Errorf("cross-origin upload from %s: %d %s", origin, res.Status, res.Body)
		}
	}
	if n := ts.countRuns(t); n != 0 {
		t.Fatalf("refused requests created %d runs", n)
	}
	if page, _ := ts.st.ListPipelines(context.Background(), store.ListOptions{PageSize: 10}); len(page.Items) != 0 {
		t.Fatalf("a refused upload created a pipeline")
	}

	// What kfp.Client, the CLI and the UI send still works.
	for i, h := range []map[string]string{
		{"Content-Type": "application/json"},
		{"Content-Type": "application/json; charset=utf-8", "Origin": "http://" + self, "Sec-Fetch-Site": "same-origin"},
	} {
		if res := ts.send(t, "POST", "/apis/v2beta1/runs", "", h, runJSON); res.Status != 200 {
			t.Errorf("JSON run %d: %d %s", i, res.Status, res.Body)
		}
	}
	for i, h := range []map[string]string{
		{"Content-Type": upType},
		{"Content-Type": upType, "Origin": "http://" + self, "Sec-Fetch-Site": "same-origin"},
	} {
		res := ts.send(t, "POST", "/apis/v2beta1/pipelines/upload?name=p"+string(rune('0'+i)), "", h, up)
		if res.Status != 200 {
			t.Errorf("upload %d: %d %s", i, res.Status, res.Body)
		}
	}
	// A write without a body needs no Content-Type (curl -X POST).
	run := ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{"display_name": "r", "pipeline_spec": spec}})
	if res := ts.send(t, "POST", "/apis/v2beta1/runs/"+run["run_id"].(string)+":archive", "", nil, nil); res.Status != 200 {
		t.Errorf("bodiless POST: %d %s", res.Status, res.Body)
	}
	// ... but not from another origin.
	if res := ts.send(t, "POST", "/apis/v2beta1/runs/"+run["run_id"].(string)+":terminate", "", map[string]string{"Origin": "http://evil.example"}, nil); res.Status != 403 {
		t.Errorf("cross-origin bodiless POST: %d %s", res.Status, res.Body)
	}
	if n := ts.countRuns(t); n != 3 {
		t.Errorf("%d runs, want the 3 allowed ones", n)
	}
}

// A DNS-rebinding page (evil.example resolving to 127.0.0.1) sends its
// own name as Host: nothing may be read under it.
func TestRebindingHostCannotRead(t *testing.T) {
	ts := newTestServer(t, nil)
	_, port, _ := strings.Cut(strings.TrimPrefix(ts.URL, "http://"), ":")
	for _, host := range []string{"evil.example:" + port, "evil.example", "127.0.0.1.nip.io:" + port, "127.0.0.1:1", "localhost:1", "localhost", "localhost.evil.example:" + port, "10.0.0.1:" + port} {
		for _, path := range []string{"/apis/v2beta1/runs", "/apis/v2beta1/healthz", "/apis/sluice/v1/artifacts?uri=/etc/passwd", "/apis/v2beta1/nope"} {
			res := ts.send(t, "GET", path, host, nil, nil)
			if res.Status != 403 || !strings.Contains(res.message(), "is not a name of this server") || !strings.Contains(res.message(), "--allowed-hosts") {
				t.Errorf("GET %s with Host %q: %d %s", path, host, res.Status, res.Body)
			}
		}
	}
	// HTTP/1.0 without a Host header.
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /apis/v2beta1/healthz HTTP/1.0\r\n\r\n")
	if b, _ := io.ReadAll(conn); !bytes.HasPrefix(b, []byte("HTTP/1.0 403")) || !bytes.Contains(b, []byte("without a Host header")) {
		t.Errorf("no Host: %s", b)
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST.:" + port, "[::1]:" + port, "127.0.0.2:" + port} {
		if res := ts.send(t, "GET", "/apis/v2beta1/runs", host, nil, nil); res.Status != 200 {
			t.Errorf("Host %q: %d %s", host, res.Status, res.Body)
		}
	}

	// --allowed-hosts adds names, with or without a port.
	ts = newTestServer(t, func(c *Config) {
		c.AllowedHosts = []string{"sluice.example", "*.corp.example", "proxy.example:8443"}
	})
	for host, want := range map[string]int{
		"sluice.example":       200,
		"sluice.example:1234":  200,
		"a.b.corp.example":     200,
		"corp.example":         403,
		"proxy.example:8443":   200,
		"proxy.example:8444":   403,
		"proxy.example":        403,
		"evil.example":         403,
		"sluice.example.evil":  403,
		"evilsluice.example:1": 403,
	} {
		if res := ts.send(t, "GET", "/apis/v2beta1/runs", host, nil, nil); res.Status != want {
			t.Errorf("allowed hosts, Host %q: %d %s, want %d", host, res.Status, res.Body, want)
		}
	}
	// Origin is checked against the Host the request names.
	res := ts.send(t, "POST", "/apis/v2beta1/experiments", "sluice.example", map[string]string{"Content-Type": "application/json", "Origin": "https://sluice.example"}, []byte(`{"display_name":"e"}`))
	if res.Status != 200 {
		t.Errorf("same-origin write behind a TLS proxy: %d %s", res.Status, res.Body)
	}
	ts = newTestServer(t, func(c *Config) { c.AllowedHosts = []string{"*"} })
	if res := ts.send(t, "GET", "/apis/v2beta1/runs", "anything.example", nil, nil); res.Status != 200 {
		t.Errorf("--allowed-hosts '*': %d %s", res.Status, res.Body)
	}
}

func TestAllowedHostsSyntax(t *testing.T) {
	got, err := ParseAllowedHosts(" a.example, b.example:80 [::1]:9,*.c.example ,fe80::1")
	if err != nil || strings.Join(got, "|") != "a.example|b.example:80|[::1]:9|*.c.example|fe80::1" {
		t.Errorf("ParseAllowedHosts = %q, %v", got, err)
	}
	for _, bad := range []string{"http://a.example", "a.example/x", "a.example:", "a.example:x", "*.", "a.*.example", "user@a.example"} {
		if _, err := ParseAllowedHosts(bad); err == nil || !strings.Contains(err.Error(), "--allowed-hosts") {
			t.Errorf("ParseAllowedHosts(%q) = %v, want an error", bad, err)
		}
	}
	if _, err := NewGuard("127.0.0.1:0", []string{"http://x"}); err == nil {
		t.Errorf("NewGuard took a URL as a host")
	}
}

func newHTTPTestServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// The Guard around the web UI and /metrics refuses the same way.
func TestGuardHandler(t *testing.T) {
	g, err := NewGuard("0.0.0.0:8888", []string{"ui.example"})
	if err != nil {
		t.Fatal(err)
	}
	h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	ts := &testServer{Server: newHTTPTestServer(t, h)}
	_, port, _ := strings.Cut(strings.TrimPrefix(ts.URL, "http://"), ":")
	for host, want := range map[string]int{"ui.example": 200, "localhost:" + port: 200, "127.0.0.1:" + port: 200, "evil.example:" + port: 403} {
		res := ts.send(t, "GET", "/", host, nil, nil)
		if res.Status != want {
			t.Errorf("Host %q: %d %s, want %d", host, res.Status, res.Body, want)
		}
		if want == 403 && res.Header.Get("Content-Type") != "application/json" {
			t.Errorf("refusal is not JSON: %q", res.Header.Get("Content-Type"))
		}
	}
	if res := ts.send(t, "POST", "/", "", map[string]string{"Origin": "http://evil.example"}, nil); res.Status != 403 {
		t.Errorf("cross-origin POST through the guard: %d %s", res.Status, res.Body)
	}
	// Bound to a name, the name is allowed at the port.
	g, _ = NewGuard("sluice.lan:8888", nil)
	ts = &testServer{Server: newHTTPTestServer(t, g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))}
	_, port, _ = strings.Cut(strings.TrimPrefix(ts.URL, "http://"), ":")
	if res := ts.send(t, "GET", "/", "sluice.lan:"+port, nil, nil); res.Status != 200 {
		t.Errorf("bound name: %d %s", res.Status, res.Body)
	}
}

// TestEveryRouteIsGuarded goes over every route the API registers (v2beta1,
// v1beta1, Sluice's own, tuning, the streams): each refuses a foreign Host
// before anything else, each write refuses another origin and a body that
// is not JSON (or, for the uploads, multipart), and each but healthz needs
// the token. A route added later is in the table by construction.
func TestEveryRouteIsGuarded(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Token = "s3cret" })
	_, port, _ := strings.Cut(strings.TrimPrefix(ts.URL, "http://"), ":")
	auth := map[string]string{"Authorization": "Bearer s3cret"}
	with := func(h map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range h {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	wildcard := regexp.MustCompile(`\{[^}]*\}`)
	seen := map[string]bool{}
	patterns := ts.api.mux.patterns
	for _, pattern := range patterns {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			t.Errorf("route %q has no method: it would answer every method", pattern)
			continue
		}
		path = wildcard.ReplaceAllString(path, "x")
		for _, p := range []string{v1prefix, sluicePrefix, "/tuning", "/events", "/logs"} {
			if strings.Contains(path, p) {
				seen[p] = true
			}
		}
		t.Run(pattern, func(t *testing.T) {
			body := []byte(`{}`)
			if method == "GET" || method == "DELETE" {
				body = nil
			}
			for _, host := range []string{"evil.example:" + port, "127.0.0.1.nip.io:" + port, "localhost:1"} {
				res := ts.send(t, method, path, host, with(auth, "Content-Type", "application/json"), body)
				if res.Status != 403 || !strings.Contains(res.message(), "is not a name of this server") {
					t.Errorf("Host %q: %d %s", host, res.Status, res.Body)
				}
			}
			healthz := strings.HasSuffix(path, "/healthz")
			if res := ts.send(t, method, path, "", nil, nil); !healthz && res.Status != 401 {
				t.Errorf("without the token: %d %s", res.Status, res.Body)
			}
			if method == "GET" || method == "HEAD" {
				return
			}
			for _, h := range []map[string]string{
				with(auth, "Origin", "http://evil.example", "Content-Type", "application/json"),
				with(auth, "Origin", "null", "Content-Type", "application/json"),
				with(auth, "Sec-Fetch-Site", "cross-site", "Content-Type", "application/json"),
			} {
				if res := ts.send(t, method, path, "", h, []byte(`{}`)); res.Status != 403 || !strings.Contains(res.message(), "refused") {
					t.Errorf("cross-origin %v: %d %s", h, res.Status, res.Body)
				}
			}
			for _, ctype := range []string{"text/plain", "application/x-www-form-urlencoded"} {
				if res := ts.send(t, method, path, "", with(auth, "Content-Type", ctype), []byte(`{}`)); res.Status != 415 {
					t.Errorf("a %s body: %d %s", ctype, res.Status, res.Body)
				}
			}
		})
	}
	for _, p := range []string{v1prefix, sluicePrefix, "/tuning", "/events", "/logs"} {
		if !seen[p] {
			t.Errorf("no route under %s among the %d recorded: routes are registered around routeMux", p, len(patterns))
		}
	}
}
