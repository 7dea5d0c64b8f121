package artifact_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/artifact/artifacttest"
)

// fakeMinio starts the in-process S3 server with bucket and returns its
// s3:// URL and its address as host:port (no scheme).
func fakeMinio(t *testing.T, bucket string) (s3URL, hostPort string) {
	t.Helper()
	s3URL = artifacttest.S3(t, bucket, "")
	u, err := url.Parse(s3URL)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := url.Parse(u.Query().Get("endpoint"))
	if err != nil || ep.Scheme != "http" || !strings.HasPrefix(ep.Host, "127.0.0.1:") {
		t.Fatalf("endpoint of %s: %v", s3URL, err)
	}
	return s3URL, ep.Host
}

// TestMinioConformance runs the suite on minio:// stores over the S3 wire
// protocol. The URL gives only host:port: plain http, path-style
// addressing and the region are minio's defaults (virtual-host style or
// https would not reach the loopback server).
func TestMinioConformance(t *testing.T) {
	t.Setenv(artifact.MinioEndpointEnv, "")
	_, hostPort := fakeMinio(t, "mlpipeline")
	var n atomic.Int64
	artifacttest.Run(t, func(t *testing.T) artifact.Store {
		i := n.Add(1)
		s := openStore(t, fmt.Sprintf("minio://mlpipeline/v2/t%d?endpoint=%s", i, hostPort))
		if got, want := s.URI("x"), fmt.Sprintf("minio://mlpipeline/v2/t%d/x", i); got != want {
			t.Errorf("URI = %q, want %q", got, want)
		}
		return s
	})
}

func putString(t *testing.T, s artifact.Store, key, content string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(t.Context(), p, key); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func getString(t *testing.T, s artifact.Store, key string) string {
	t.Helper()
	rc, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The minio store is the S3 bucket: what one writes the other reads at the
// same key, and the URI, KeyOf and IsBucketURI agree on minio://.
func TestMinioURIsAndKeyOf(t *testing.T) {
	t.Setenv(artifact.MinioEndpointEnv, "")
	s3URL, hostPort := fakeMinio(t, "mlpipeline")
	m := openStore(t, "minio://mlpipeline/v2/artifacts/?endpoint="+hostPort+"&region=us-east-1&use_path_style=true")
	defer m.Close()
	base, query, _ := strings.Cut(s3URL, "?")
	s3 := openStore(t, base+"/v2/artifacts?"+query)
	defer s3.Close()

	if got, want := m.URI(""), "minio://mlpipeline/v2/artifacts"; got != want {
		t.Errorf("URI(\"\") = %q, want %q (no query parameters)", got, want)
	}
	uri := m.URI("p/r1/train/model")
	if uri != "minio://mlpipeline/v2/artifacts/p/r1/train/model" {
		t.Fatalf("URI = %q", uri)
	}
	if !artifact.IsBucketURI(uri) {
		t.Errorf("IsBucketURI(%q) = false", uri)
	}
	if k, ok := artifact.KeyOf(m, uri); !ok || k != "p/r1/train/model" {
		t.Errorf("KeyOf(%q) = %q, %v", uri, k, ok)
	}
	for _, other := range []string{
		"s3://mlpipeline/v2/artifacts/p/r1/train/model",   // same bucket, other scheme
		"minio://other/v2/artifacts/p/r1/train/model",     // other bucket
		"minio://mlpipeline/v2/artifactsx/p",              // sibling prefix
		"minio://mlpipeline/v2/artifacts/../secrets/p",    // escape
		"/minio/mlpipeline/v2/artifacts/p/r1/train/model", // the mount path
	} {
		if k, ok := artifact.KeyOf(m, other); ok {
			t.Errorf("KeyOf(%q) = %q, true", other, k)
		}
	}

	putString(t, m, "p/r1/train/model", "weights")
	if got := getString(t, s3, "p/r1/train/model"); got != "weights" {
		t.Errorf("through s3:// = %q", got)
	}
	putString(t, s3, "p/r1/eval/metrics", "0.9")
	if got := getString(t, m, "p/r1/eval/metrics"); got != "0.9" {
		t.Errorf("through minio:// = %q", got)
	}
}

// Without ?endpoint= the endpoint comes from SLUICE_MINIO_ENDPOINT; one in
// the URL wins over the variable.
func TestMinioEndpointFromEnv(t *testing.T) {
	_, hostPort := fakeMinio(t, "mlpipeline")

	t.Setenv(artifact.MinioEndpointEnv, hostPort)
	s := openStore(t, "minio://mlpipeline/v2/artifacts")
	putString(t, s, "a", "from env")
	if got := getString(t, s, "a"); got != "from env" {
		t.Errorf("read back %q", got)
	}
	s.Close()

	t.Setenv(artifact.MinioEndpointEnv, "http://"+hostPort) // a scheme is accepted too
	s = openStore(t, "minio://mlpipeline/v2/artifacts")
	if got := getString(t, s, "a"); got != "from env" {
		t.Errorf("with http:// in the variable: %q", got)
	}
	s.Close()

	t.Setenv(artifact.MinioEndpointEnv, "127.0.0.1:1") // nothing listens there
	s = openStore(t, "minio://mlpipeline/v2/artifacts?endpoint="+hostPort)
	defer s.Close()
	if got := getString(t, s, "a"); got != "from env" {
		t.Errorf("URL endpoint over the variable: %q", got)
	}
}

// A written https:// endpoint stays https: against the plain-http server
// the request fails instead of silently downgrading.
func TestMinioKeepsHTTPS(t *testing.T) {
	t.Setenv(artifact.MinioEndpointEnv, "")
	_, hostPort := fakeMinio(t, "mlpipeline")
	s := openStore(t, "minio://mlpipeline/x?endpoint=https://"+hostPort)
	defer s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if ok, err := s.Exists(ctx, "a"); err == nil {
		t.Errorf("Exists over https to an http server = %v, nil error", ok)
	}
}

func TestMinioOpenErrors(t *testing.T) {
	t.Setenv(artifact.MinioEndpointEnv, "")
	_, err := artifact.Open(t.Context(), "minio://mlpipeline/v2/artifacts")
	if err == nil {
		t.Fatal("Open without an endpoint = nil error")
	}
	for _, want := range []string{"minio://mlpipeline/v2/artifacts", artifact.MinioEndpointEnv, "endpoint="} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	for _, u := range []string{
		"minio:///v2/artifacts?endpoint=127.0.0.1:9000",                // no bucket
		"minio://mlpipeline/a/../b?endpoint=127.0.0.1:9000",            // bad prefix
		"minio://mlpipeline/x?endpoint=ftp://127.0.0.1:9000",           // not http(s)
		"minio://mlpipeline/x?endpoint=127.0.0.1:9000&no_such_param=1", // params go to s3blob, which checks them
	} {
		if s, err := artifact.Open(t.Context(), u); err == nil {
			s.Close()
			t.Errorf("Open(%q) = nil error", u)
		}
	}
}

// What a minio store sends: path-style requests (/bucket/key on the
// endpoint's host) signed for us-east-1, or for the region the URL gives.
func TestMinioRequestDefaults(t *testing.T) {
	t.Setenv(artifact.MinioEndpointEnv, "")
	_, hostPort := fakeMinio(t, "mlpipeline")
	var mu sync.Mutex
	var seen []*http.Request
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: hostPort})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Clone(context.Background()))
		mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()
	proxyHost := strings.TrimPrefix(srv.URL, "http://")

	for _, tc := range []struct{ query, region string }{
		{"", "us-east-1"},
		{"&region=eu-west-1", "eu-west-1"},
	} {
		mu.Lock()
		seen = nil
		mu.Unlock()
		s := openStore(t, "minio://mlpipeline/v2?endpoint="+proxyHost+tc.query)
		putString(t, s, "k", "v")
		s.Close()
		mu.Lock()
		if len(seen) == 0 {
			t.Fatalf("%q: no request reached the endpoint", tc.query)
		}
		for _, r := range seen {
			if r.Host != proxyHost || !strings.HasPrefix(r.URL.Path, "/mlpipeline/") && r.URL.Path != "/mlpipeline" {
				t.Errorf("%q: request to host %q path %q, want path-style on %s", tc.query, r.Host, r.URL.Path, proxyHost)
			}
			if auth := r.Header.Get("Authorization"); !strings.Contains(auth, "/"+tc.region+"/s3/aws4_request") {
				t.Errorf("%q: Authorization %q not signed for %s", tc.query, auth, tc.region)
			}
		}
		mu.Unlock()
	}
}
