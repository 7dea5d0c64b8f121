package artifacttest

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3 starts an S3-compatible server on loopback (the S3 wire protocol,
// objects in memory) with one empty bucket, points the AWS credential
// variables at test values for the rest of the test, and returns the store
// URL of the bucket with prefix (s3://bucket/prefix?endpoint=...).
func S3(t testing.TB, bucket, prefix string) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.GlobalLog(gofakes3.LogErr))).Server())
	t.Cleanup(srv.Close)
	setCredentials(t, "test-access-key", "test-secret-key")
	path := bucket
	if prefix != "" {
		path += "/" + prefix
	}
	return fmt.Sprintf("s3://%s?endpoint=%s&use_path_style=true&region=us-east-1", path, srv.URL)
}

// setCredentials points the AWS SDK at these credentials only, for the rest
// of the test: no profile, no shared files, no instance metadata.
func setCredentials(t testing.TB, key, secret string) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           key,
		"AWS_SECRET_ACCESS_KEY":       secret,
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
}
