package artifact_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/artifact"
)

// GCS and Azure are linked only with their build tags; without them a
// gs:// or azblob:// store is refused with an error naming the tag, before
// any network access. S3, MinIO and mem are in every build.
func TestOptionalDrivers(t *testing.T) {
	schemes := artifact.Schemes()
	for _, s := range []string{"s3", "minio", "mem"} {
		if !slices.Contains(schemes, s) {
			t.Errorf("Schemes() = %v: no %s", schemes, s)
		}
		if err := artifact.CheckScheme(s); err != nil {
			t.Errorf("CheckScheme(%s): %v", s, err)
		}
	}
	for scheme, tag := range map[string]string{"gs": "gcs", "azblob": "azure"} {
		err := artifact.CheckScheme(scheme)
		if slices.Contains(schemes, scheme) {
			if err != nil {
				t.Errorf("CheckScheme(%s) in a build that has it: %v", scheme, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "-tags "+tag) {
			t.Errorf("CheckScheme(%s) = %v, want an error naming -tags %s", scheme, err, tag)
		}
		_, err = artifact.Open(t.Context(), scheme+"://bucket/prefix")
		if err == nil || !strings.Contains(err.Error(), "-tags "+tag) {
			t.Errorf("Open(%s://bucket/prefix) = %v, want an error naming -tags %s", scheme, err, tag)
		}
	}
}
