package minioblob

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob/driver"
	"gocloud.dev/blob/drivertest"
)

// fakeS3 starts an in-process S3 server (gofakes3) on loopback with one
// bucket, sets test credentials, and returns the bucket's URL.
func fakeS3(t testing.TB, bucket string) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.GlobalLog(gofakes3.LogErr))).Server())
	t.Cleanup(srv.Close)
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test-access-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret-key")
	return "s3://" + bucket + "?endpoint=" + srv.URL + "&use_path_style=true&region=us-east-1"
}

// externalS3 returns the URL of the bucket of the S3 server named by
// $SLUICE_TEST_S3 (scripts/k8s/up.sh starts SeaweedFS and writes it), with
// its credentials set, or "" without one.
func externalS3(t testing.TB) string {
	t.Helper()
	raw := os.Getenv("SLUICE_TEST_S3")
	if raw == "" {
		if os.Getenv("SLUICE_REQUIRE_S3") == "1" {
			t.Fatal("$SLUICE_TEST_S3 is not set")
		}
		return ""
	}
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", os.Getenv("SLUICE_TEST_S3_ACCESS_KEY"))
	t.Setenv("AWS_SECRET_ACCESS_KEY", os.Getenv("SLUICE_TEST_S3_SECRET_KEY"))
	return raw
}

// isolate clears every credential source but the ones a test sets.
func isolate(t testing.TB) {
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY", "AWS_SECRET_KEY",
		"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY",
		"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ENDPOINT_URL_STS",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

type harness struct{ rawURL string }

func (h harness) MakeDriver(ctx context.Context) (driver.Bucket, error) {
	u, err := url.Parse(h.rawURL)
	if err != nil {
		return nil, err
	}
	return openURL(ctx, u)
}

func (h harness) MakeDriverForNonexistentBucket(ctx context.Context) (driver.Bucket, error) {
	u, err := url.Parse(h.rawURL)
	if err != nil {
		return nil, err
	}
	u.Host = "no-such-bucket-for-sluice"
	return openURL(ctx, u)
}

func (harness) HTTPClient() *http.Client         { return &http.Client{} }
func (harness) SupportsCopy() bool               { return true }
func (harness) SupportsNonSlashDelimiters() bool { return true }
func (harness) Close()                           {}

// conformance runs gocloud's conformance suite for drivers on the bucket
// at raw, skipping the parts that test what the server gets wrong (by
// the suite's subtest name, "TestKeys" or "TestKeys/ascii-3") with the
// reason.
func conformance(t *testing.T, raw string, serverQuirks map[string]string) {
	top := t.Name()
	drivertest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (drivertest.Harness, error) {
		for name, why := range serverQuirks {
			if n := top + "/" + name; t.Name() == n || strings.HasPrefix(t.Name(), n+"/") {
				t.Skip(why)
			}
		}
		return harness{raw}, nil
	}, nil)
}

// The suite over the S3 wire protocol to the in-process server.
func TestConformance(t *testing.T) {
	conformance(t, fakeS3(t, "sluice"), map[string]string{
		"TestSignedURL":  "the in-process server does not check signatures (SeaweedFS does: TestExternalConformance)",
		"TestAttributes": "the in-process server keeps neither Cache-Control nor Content-Language (SeaweedFS does: TestExternalConformance; TestAttributes here)",
	})
}

// The same suite against a real S3 server (SeaweedFS in CI), when one is
// named. What it skips, SeaweedFS answers the same way to gocloud's own
// S3 driver (s3blob, the -tags awssdk build).
func TestExternalConformance(t *testing.T) {
	raw := externalS3(t)
	if raw == "" {
		t.Skip("no S3 server: set $SLUICE_TEST_S3 (scripts/k8s/up.sh writes it to s3.env)")
	}
	conformance(t, raw, map[string]string{
		"TestListWeirdKeys":        `SeaweedFS refuses the key ..\foo\..\bar\..\..\baz..\ (InvalidRequest)`,
		"TestKeys/dotdotbackslash": `SeaweedFS refuses the key ..\foo\..\bar\..\..\baz..\ (InvalidRequest)`,
		"TestKeys/ascii-3":         `SeaweedFS does not find the source of a copy whose key has "#" or "+" (NoSuchKey)`,
		"TestListDelimiters":       "SeaweedFS keeps listing a directory after its last object is deleted",
		"TestAttributes":           "SeaweedFS answers HEAD of a directory (dir/) with 200",
	})
}
