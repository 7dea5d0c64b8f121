package artifacttest

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
)

// The S3-compatible server the integration tests use, when one runs:
// scripts/k8s/up.sh starts SeaweedFS beside the local cluster and writes
// these variables to $SLUICE_K8S_RUN/s3.env.
const (
	// EnvURL is the store URL of a bucket on the server, e.g.
	// s3://sluice?endpoint=http://127.0.0.1:8333&use_path_style=true&region=us-east-1
	EnvURL = "SLUICE_TEST_S3"
	// EnvAccessKey and EnvSecretKey are its credentials.
	EnvAccessKey = "SLUICE_TEST_S3_ACCESS_KEY"
	EnvSecretKey = "SLUICE_TEST_S3_SECRET_KEY"
	// EnvRequire set to 1 makes a missing server a failure, not a fallback.
	EnvRequire = "SLUICE_REQUIRE_S3"
)

// External returns the store URL of a fresh, unique prefix under prefix on
// the S3-compatible server named by $SLUICE_TEST_S3, and sets the AWS
// credential variables to its credentials for the rest of the test. The
// second result is false, and the URL empty, when no server is named; with
// $SLUICE_REQUIRE_S3=1 that is a failure instead.
func External(t testing.TB, prefix string) (string, bool) {
	t.Helper()
	raw := os.Getenv(EnvURL)
	if raw == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("$%s is not set (scripts/k8s/up.sh starts SeaweedFS and writes it to s3.env)", EnvURL)
		}
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		t.Fatalf("$%s=%q: want s3://bucket?endpoint=...", EnvURL, raw)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	u.Path = "/" + strings.Trim(strings.Trim(u.Path, "/")+"/"+strings.Trim(prefix, "/")+"/"+hex.EncodeToString(b[:]), "/")
	setCredentials(t, os.Getenv(EnvAccessKey), os.Getenv(EnvSecretKey))
	return u.String(), true
}

// ExternalOrInProcess is External, falling back to the in-process server
// of S3 when no external one is named (and none is required).
func ExternalOrInProcess(t testing.TB, bucket, prefix string) string {
	t.Helper()
	if u, ok := External(t, prefix); ok {
		return u
	}
	t.Logf("no $%s: using the in-process S3 server", EnvURL)
	return S3(t, bucket, prefix)
}
