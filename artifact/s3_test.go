package artifact_test

import (
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/artifact/artifacttest"
)

// TestS3Conformance runs the suite over the real S3 wire protocol: the
// AWS SDK (through gocloud's s3blob) talks HTTP to an in-process gofakes3
// server on loopback.
func TestS3Conformance(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("sluice"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.GlobalLog(gofakes3.LogErr))).Server())
	t.Cleanup(srv.Close)

	t.Setenv("AWS_ACCESS_KEY_ID", "test-access-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret-key")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	var n atomic.Int64
	artifacttest.Run(t, func(t *testing.T) artifact.Store {
		// A fresh prefix per subtest keeps them independent.
		u := fmt.Sprintf("s3://sluice/t%d/root?endpoint=%s&use_path_style=true&region=us-east-1", n.Add(1), srv.URL)
		s, err := artifact.Open(t.Context(), u)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if got, want := s.URI("x"), fmt.Sprintf("s3://sluice/t%d/root/x", n.Load()); got != want {
			t.Errorf("URI = %q, want %q", got, want)
		}
		return s
	})
}
