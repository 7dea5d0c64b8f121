package artifact_test

import (
	"testing"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/artifact/artifacttest"
)

// TestExternalS3Conformance runs the suite against a real S3-compatible
// server: SeaweedFS, which scripts/k8s/up.sh starts and names in
// $SLUICE_TEST_S3. It skips without one unless $SLUICE_REQUIRE_S3=1.
func TestExternalS3Conformance(t *testing.T) {
	if _, ok := artifacttest.External(t, "probe"); !ok {
		t.Skip("no S3 server: set $SLUICE_TEST_S3 (scripts/k8s/up.sh writes it to s3.env)")
	}
	artifacttest.Run(t, func(t *testing.T) artifact.Store {
		u, _ := artifacttest.External(t, "conformance")
		s, err := artifact.Open(t.Context(), u)
		if err != nil {
			t.Fatalf("Open %s: %v", u, err)
		}
		return s
	})
}
