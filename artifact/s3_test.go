package artifact_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/artifact/artifacttest"
)

// TestS3Conformance runs the suite over the real S3 wire protocol: the
// AWS SDK (through gocloud's s3blob) talks HTTP to an in-process gofakes3
// server on loopback.
func TestS3Conformance(t *testing.T) {
	base, query, _ := strings.Cut(artifacttest.S3(t, "sluice", ""), "?")
	var n atomic.Int64
	artifacttest.Run(t, func(t *testing.T) artifact.Store {
		// A fresh prefix per subtest keeps them independent.
		u := fmt.Sprintf("%s/t%d/root?%s", base, n.Add(1), query)
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
