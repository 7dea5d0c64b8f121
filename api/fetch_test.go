package api

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/artifact/artifacttest"
)

// package_url: KFP's server fetches the package; so does Sluice, from
// http(s) URLs and from its own artifact store, bounded like an upload.
func TestPackageURL(t *testing.T) {
	tutorial, err := os.ReadFile("../examples/tutorial/pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/tutorial.yaml":
			w.Write(tutorial)
		case "/big.yaml":
			w.Write([]byte(strings.Repeat("#", 70_000)))
		case "/bad.yaml":
			w.Write([]byte("pipelineInfo: [not, a, map]\n"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer web.Close()

	bucketURL := artifacttest.S3(t, "pkgs", "")
	st, err := artifact.Open(context.Background(), bucketURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	local := t.TempDir() + "/tutorial.yaml"
	os.WriteFile(local, tutorial, 0o644)
	if err := st.Put(context.Background(), local, "shared/tutorial.yaml"); err != nil {
		t.Fatal(err)
	}

	// The web server is on loopback: allow it.
	ts := newTestServer(t, func(c *Config) { c.Artifacts = st; c.MaxUploadBytes = 64 << 10; c.AllowPrivatePackageURLs = true })
	create := func(name, url string) response {
		return ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/pipelines/create", Body: map[string]any{
			"pipeline":         map[string]any{"display_name": name},
			"pipeline_version": map[string]any{"package_url": map[string]any{"pipeline_url": url}},
		}})
	}
	res := create("from-web", web.URL+"/tutorial.yaml")
	if res.Status != 200 {
		t.Fatalf("create from URL: %d %s", res.Status, res.Body)
	}
	pid := res.json(t)["pipeline_id"].(string)
	vs := ts.do(t, request{Method: "GET", Path: "/apis/v2beta1/pipelines/" + pid + "/versions"})
	if vs.Status != 200 || !strings.Contains(string(vs.Body), `"pipeline_url":"`+web.URL+`/tutorial.yaml"`) || !strings.Contains(string(vs.Body), `"compute-average"`) {
		t.Fatalf("versions: %d %s", vs.Status, vs.Body)
	}
	// A new version from the artifact store.
	res = ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/pipelines/" + pid + "/versions", Body: map[string]any{
		"name": "v2", "package_url": map[string]any{"pipeline_url": "s3://pkgs/shared/tutorial.yaml"},
	}})
	if res.Status != 200 || res.json(t)["name"] != "v2" {
		t.Fatalf("version from the store: %d %s", res.Status, res.Body)
	}

	for _, tc := range []struct {
		url    string
		status int
		msg    string
	}{
		{web.URL + "/missing.yaml", 400, "could not fetch " + web.URL + "/missing.yaml: it must be"},
		{web.URL + "/big.yaml", 413, "larger than the 65536-byte limit"},
		{web.URL + "/bad.yaml", 400, "is not a valid pipeline"},
		{"s3://pkgs/shared/nope.yaml", 404, "no such object"},
		{"s3://elsewhere/p.yaml", 403, "outside this server's artifact store"},
		{"/etc/passwd", 400, "not a URL"},
	} {
		res := create("bad", tc.url)
		if res.Status != tc.status || !strings.Contains(string(res.Body), tc.msg) {
			t.Errorf("%s: %d %s, want %d %q", tc.url, res.Status, res.Body, tc.status, tc.msg)
		}
	}
	// Nothing half-created by the failures.
	list := ts.do(t, request{Method: "GET", Path: "/apis/v2beta1/pipelines"})
	if strings.Contains(string(list.Body), `"bad"`) {
		t.Errorf("a failed create left a pipeline: %s", list.Body)
	}
}

// no_cache (a Sluice extension) reaches the stored run; the run keeps its
// pipeline version.
func TestCreateRunNoCache(t *testing.T) {
	ts := newTestServer(t, nil)
	spec, err := os.ReadFile("../examples/tutorial/pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, noCache := range []bool{false, true} {
		res := ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{
			"display_name": "r", "pipeline_spec": string(spec), "no_cache": noCache,
		}})
		if res.Status != 200 {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		run, err := ts.st.GetRun(context.Background(), res.json(t)["run_id"].(string))
		if err != nil || run.NoCache != noCache {
			t.Errorf("no_cache %v: stored %+v, %v", noCache, run, err)
		}
		if strings.Contains(string(res.Body), "no_cache") {
			t.Errorf("no_cache leaked into the KFP run JSON: %s", res.Body)
		}
	}
}

// A server whose store is minio:// (KFP's MinIO scheme) serves its
// minio:// artifacts and fetches packages from it; the same objects named
// s3:// are not its URIs.
func TestMinioStoreServesArtifacts(t *testing.T) {
	u, err := url.Parse(artifacttest.S3(t, "mlpipeline", ""))
	if err != nil {
		t.Fatal(err)
	}
	ep, err := url.Parse(u.Query().Get("endpoint"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := artifact.Open(context.Background(), "minio://mlpipeline/v2/artifacts?endpoint="+ep.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tutorial, err := os.ReadFile("../examples/tutorial/pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(dir+"/tutorial.yaml", tutorial, 0o644)
	os.MkdirAll(dir+"/model/sub", 0o755)
	os.WriteFile(dir+"/model/weights", []byte("w"), 0o644)
	os.WriteFile(dir+"/model/sub/config", []byte("c"), 0o644)
	for local, key := range map[string]string{"tutorial.yaml": "pkgs/tutorial.yaml", "model": "p/r1/train/model"} {
		if err := st.Put(context.Background(), dir+"/"+local, key); err != nil {
			t.Fatal(err)
		}
	}

	ts := newTestServer(t, func(c *Config) { c.Artifacts = st })
	// Artifacts are served raw, not as JSON (which ts.do expects).
	get := func(uri, sub string) response {
		q := url.Values{"uri": {uri}}
		if sub != "" {
			q.Set("path", sub)
		}
		hr, err := http.NewRequest("GET", ts.URL+"/apis/sluice/v1/artifacts?"+q.Encode(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if ts.token != "" {
			hr.Header.Set("Authorization", "Bearer "+ts.token)
		}
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
	}
	const model = "minio://mlpipeline/v2/artifacts/p/r1/train/model"
	if res := get(model, "sub/config"); res.Status != 200 || string(res.Body) != "c" {
		t.Errorf("file in a directory artifact: %d %s", res.Status, res.Body)
	}
	if res := get(model, ""); res.Status != 200 || !strings.Contains(string(res.Body), `"files":["sub/config","weights"]`) {
		t.Errorf("directory listing: %d %s", res.Status, res.Body)
	}
	if res := get(model+"/weights", ""); res.Status != 200 || string(res.Body) != "w" {
		t.Errorf("object: %d %s", res.Status, res.Body)
	} else if h := res.Header; !strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox;") || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Disposition") != "attachment; filename=weights" {
		t.Errorf("bucket object headers: %v", h)
	}
	if res := get("s3://mlpipeline/v2/artifacts/p/r1/train/model/weights", ""); res.Status != 403 {
		t.Errorf("s3:// name of the same object: %d %s, want 403", res.Status, res.Body)
	}
	if res := get("minio://mlpipeline/v2/artifacts/p/r1/nope", ""); res.Status != 404 {
		t.Errorf("missing object: %d %s, want 404", res.Status, res.Body)
	}
	res := ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/pipelines/create", Body: map[string]any{
		"pipeline":         map[string]any{"display_name": "from-minio"},
		"pipeline_version": map[string]any{"package_url": map[string]any{"pipeline_url": "minio://mlpipeline/v2/artifacts/pkgs/tutorial.yaml"}},
	}})
	if res.Status != 200 {
		t.Errorf("package_url from the minio store: %d %s", res.Status, res.Body)
	}
}

// package_url must not be a way into the server's network: loopback,
// private, link-local and other non-public addresses are refused —
// literally, through a name that resolves to one, or by a redirect —
// unless the server allows them, and every failed fetch reads the same,
// whether the address was refused, the port closed or the status not 200.
func TestPackageURLRefusesPrivateAddresses(t *testing.T) {
	tutorial := readFile(t, "../examples/tutorial/pipeline.yaml")
	var hits atomic.Int64
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/tutorial.yaml":
			w.Write(tutorial)
		case "/error":
			http.Error(w, "boom", 500)
		default:
			http.NotFound(w, r)
		}
	}))
	defer web.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(web.URL, "http://"))
	uniform := func(res response, u string) bool {
		return res.Status == 400 && res.message() == "pipeline_version.package_url.pipeline_url: could not fetch "+u+
			": it must be an http(s) URL this server can reach that answers 200 OK with a pipeline package (the server fetches only public addresses; upload the file instead)"
	}
	create := func(ts *testServer, u string) response {
		return ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/pipelines/create", Body: map[string]any{
			"pipeline":         map[string]any{"display_name": "p"},
			"pipeline_version": map[string]any{"package_url": map[string]any{"pipeline_url": u}},
		}})
	}

	ts := newTestServer(t, nil)
	for _, u := range []string{
		web.URL + "/tutorial.yaml",
		"http://localhost:" + port + "/tutorial.yaml", // a name resolving to loopback
		"http://[::1]:" + port + "/tutorial.yaml",
		"http://[::ffff:127.0.0.1]:" + port + "/tutorial.yaml",
		"http://0.0.0.0:" + port + "/tutorial.yaml",
		"http://169.254.169.254/latest/meta-data/", // cloud metadata
		"http://10.0.0.1/p.yaml",
		"http://172.16.0.1/p.yaml",
		"http://192.168.1.1/p.yaml",
		"http://100.64.0.1/p.yaml",
		"http://224.0.0.1/p.yaml",
		"http://[fe80::1]/p.yaml",
		"http://[fd00::1]/p.yaml",
		"http://[64:ff9b::7f00:1]/p.yaml",
		"https://127.0.0.1:" + port + "/tutorial.yaml",
	} {
		if res := create(ts, u); !uniform(res, u) {
			t.Errorf("%s: %d %s", u, res.Status, res.Body)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server was reached %d times", n)
	}

	// A redirect to loopback is refused at dial time: here the first hop
	// (the redirector) is let through, the loopback server it points to
	// is not.
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/own.yaml":
			w.Write(tutorial)
		case "/self":
			http.Redirect(w, r, "/own.yaml", http.StatusFound)
		default:
			http.Redirect(w, r, web.URL+"/tutorial.yaml", http.StatusFound)
		}
	}))
	defer redirector.Close()
	rAddr := netip.MustParseAddrPort(strings.TrimPrefix(redirector.URL, "http://"))
	ts = newTestServer(t, func(c *Config) {
		c.fetchAllowed = func(ap netip.AddrPort) bool { return ap == rAddr || publicAddress(ap) }
	})
	if res := create(ts, redirector.URL+"/self"); res.Status != 200 {
		t.Fatalf("a redirect to an allowed address: %d %s", res.Status, res.Body)
	}
	if res := create(ts, redirector.URL+"/elsewhere"); !uniform(res, redirector.URL+"/elsewhere") {
		t.Errorf("a redirect to loopback: %d %s", res.Status, res.Body)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server was reached %d times through a redirect", n)
	}

	// With --allow-private-package-urls they are fetched, and a closed
	// port, a 404, a 500 and a server that speaks another protocol read
	// the same.
	ts = newTestServer(t, func(c *Config) { c.AllowPrivatePackageURLs = true })
	if res := create(ts, "http://localhost:"+port+"/tutorial.yaml"); res.Status != 200 {
		t.Fatalf("allowed: %d %s", res.Status, res.Body)
	}
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/p.yaml"
	closed.Close()
	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	go func() {
		for {
			c, err := other.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n")
			c.Close()
		}
	}()
	var msgs []string
	for _, u := range []string{closedURL, web.URL + "/missing.yaml", web.URL + "/error", "http://" + other.Addr().String() + "/p.yaml", "http://nonexistent.invalid/p.yaml"} {
		res := create(ts, u)
		if res.Status != 400 {
			t.Errorf("%s: %d %s", u, res.Status, res.Body)
		}
		msgs = append(msgs, strings.Replace(res.message(), u, "URL", 1))
	}
	for _, m := range msgs[1:] {
		if m != msgs[0] {
			t.Errorf("fetch failures read differently:\n%s\n%s", msgs[0], m)
		}
	}
}

func TestPublicAddress(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8:80": true, "[2606:4700::1111]:443": true, "[64:ff9b::808:808]:80": true, "[2002:808:808::1]:80": true,
		"127.0.0.1:80": false, "127.9.9.9:80": false, "[::1]:80": false, "10.1.2.3:80": false, "172.31.0.1:80": false,
		"192.168.0.1:80": false, "169.254.169.254:80": false, "0.0.0.0:80": false, "[::]:80": false, "100.100.0.1:80": false,
		"224.0.0.251:80": false, "255.255.255.255:80": false, "[fe80::1%eth0]:80": false, "[fc00::1]:80": false,
		"[ff02::1]:80": false, "[::ffff:10.0.0.1]:80": false, "[64:ff9b::a00:1]:80": false, "[2002:7f00:1::1]:80": false,
		"198.18.0.1:80": false, "192.0.2.1:80": false,
	} {
		if got := publicAddress(netip.MustParseAddrPort(addr)); got != want {
			t.Errorf("publicAddress(%s) = %v, want %v", addr, got, want)
		}
	}
}
