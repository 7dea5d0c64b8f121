package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
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

	ts := newTestServer(t, func(c *Config) { c.Artifacts = st; c.MaxUploadBytes = 64 << 10 })
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
		{web.URL + "/missing.yaml", 400, "HTTP 404 Not Found"},
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
