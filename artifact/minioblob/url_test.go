package minioblob

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
)

// recordingS3 is fakeS3 that also keeps the requests it answers.
func recordingS3(t *testing.T, bucket string) (hostPort string, seen func() []*http.Request) {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	fake := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.GlobalLog(gofakes3.LogErr))).Server()
	var mu sync.Mutex
	var reqs []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, r.Clone(context.Background()))
		mu.Unlock()
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	isolate(t)
	return strings.TrimPrefix(srv.URL, "http://"), func() []*http.Request {
		mu.Lock()
		defer mu.Unlock()
		r := reqs
		reqs = nil
		return r
	}
}

func open(t *testing.T, raw string) *blob.Bucket {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenBucketURL(t.Context(), u)
	if err != nil {
		t.Fatalf("OpenBucketURL(%s): %v", raw, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// Unknown query parameters are refused by name, never echoing a value;
// s3blob's others are refused naming the build tag that has them.
func TestOpenRefuses(t *testing.T) {
	isolate(t)
	for raw, want := range map[string][]string{
		"s3://bkt?endpoint=http://127.0.0.1:1&secret_key=hunter2&x=1": {`unknown query parameter "secret_key", "x"`},
		"s3://bkt?fips=true&dualstack=true":                           {`"dualstack", "fips"`, "-tags awssdk"},
		"s3://bkt?role=arn:aws:iam::1:role/r":                         {`"role"`, "-tags awssdk"},
		"s3://bkt?use_path_style=maybe":                               {`"use_path_style"`, "true or false"},
		"s3://bkt?disable_https=hunter2":                              {`"disable_https"`},
		"s3://bkt?anonymous=2x":                                       {`"anonymous"`},
		"s3://bkt?endpoint=ftp://host":                                {`"endpoint"`},
		"s3://bkt?endpoint=http://host/path":                          {`"endpoint"`},
		"s3://bkt?endpoint=http://user:hunter2@host":                  {`"endpoint"`},
		"s3://bkt?ssetype=aws:kms:dsse":                               {`"ssetype"`, "-tags awssdk"},
		"s3://bkt?ssetype=AES256&kmskeyid=k":                          {"kmskeyid"},
		"s3://?region=us-east-1":                                      {"no bucket"},
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		_, err = OpenBucketURL(t.Context(), u)
		if err == nil {
			t.Errorf("OpenBucketURL(%s) = nil error", raw)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("OpenBucketURL(%s) = %q, want it to say %q", raw, err, w)
			}
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("OpenBucketURL(%s) = %q: echoes a value of the query", raw, err)
		}
	}
}

// What the parameters change in the requests: signing region (from the
// URL, else AWS_REGION, else AWS_DEFAULT_REGION), path style, server-side
// encryption, anonymous requests; an endpoint without a scheme is https
// unless disable_https=true.
func TestOpenParameters(t *testing.T) {
	hostPort, seen := recordingS3(t, "bkt")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	base := "s3://bkt?endpoint=" + hostPort + "&disable_https=true&use_path_style=true"
	put := func(raw string) []*http.Request {
		t.Helper()
		seen()
		if err := open(t, raw).WriteAll(t.Context(), "k", []byte("v"), nil); err != nil {
			t.Fatalf("%s: write: %v", raw, err)
		}
		return seen()
	}
	for _, tc := range []struct {
		query, awsRegion, defaultRegion string
		check                           func(r *http.Request) string
	}{
		{"&region=eu-west-1", "ap-south-1", "", signedFor("eu-west-1")},
		{"", "ap-south-1", "sa-east-1", signedFor("ap-south-1")},
		{"", "", "sa-east-1", signedFor("sa-east-1")},
		{"&region=us-east-1&ssetype=AES256", "", "", header("X-Amz-Server-Side-Encryption", "AES256")},
		{"&region=us-east-1&kmskeyid=key-1", "", "", header("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", "key-1")},
		{"&region=us-east-1&ssetype=aws:kms&kmskeyid=key-2", "", "", header("X-Amz-Server-Side-Encryption", "aws:kms")},
		{"&region=us-east-1&anonymous=true", "", "", header("Authorization", "")},
		{"&region=us-east-1&awssdk=v2&s3ForcePathStyle=true", "", "", signedFor("us-east-1")},
	} {
		t.Setenv("AWS_REGION", tc.awsRegion)
		t.Setenv("AWS_DEFAULT_REGION", tc.defaultRegion)
		reqs := put(base + tc.query)
		var puts int
		for _, r := range reqs {
			if r.Host != hostPort || !strings.HasPrefix(r.URL.Path, "/bkt") {
				t.Errorf("%s: request to %s%s, want path style on %s", tc.query, r.Host, r.URL.Path, hostPort)
			}
			if r.Method == http.MethodPut {
				puts++
				if msg := tc.check(r); msg != "" {
					t.Errorf("%s: %s", tc.query, msg)
				}
			}
		}
		if puts != 1 {
			t.Errorf("%s: %d PUTs, want 1", tc.query, puts)
		}
	}

	// https is kept: against the plain-http server the request fails.
	b := open(t, "s3://bkt?endpoint="+hostPort+"&use_path_style=true&region=us-east-1")
	if err := b.WriteAll(t.Context(), "k", []byte("v"), nil); err == nil {
		t.Error("https to a plain http server: nil error")
	}
}

func signedFor(region string) func(*http.Request) string {
	return func(r *http.Request) string {
		if a := r.Header.Get("Authorization"); !strings.Contains(a, "Credential=AKIDTEST/") || !strings.Contains(a, "/"+region+"/s3/aws4_request") {
			return "Authorization " + a + " not signed by AKIDTEST for " + region
		}
		return ""
	}
}

func header(name, want string) func(*http.Request) string {
	return func(r *http.Request) string {
		if got := r.Header.Get(name); got != want {
			return name + ": " + got + ", want " + want
		}
		return ""
	}
}

func TestEndpoint(t *testing.T) {
	for _, tc := range []struct {
		raw, host string
		https     bool
		secure    bool
	}{
		{"", "s3.amazonaws.com", true, true},
		{"", "s3.amazonaws.com", false, false},
		{"minio:9000", "minio:9000", true, true},
		{"minio:9000", "minio:9000", false, false},
		{"http://minio:9000", "minio:9000", true, false},
		{"https://minio:9000/", "minio:9000", false, true},
	} {
		host, secure, err := endpoint(tc.raw, tc.https)
		if err != nil || host != tc.host || secure != tc.secure {
			t.Errorf("endpoint(%q, https %v) = %q, %v, %v; want %q, %v", tc.raw, tc.https, host, secure, err, tc.host, tc.secure)
		}
	}
}
