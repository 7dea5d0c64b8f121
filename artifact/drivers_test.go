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

// s3:// and minio:// go through minio-go by default and through AWS's SDK
// with -tags awssdk; the default build refuses the query parameters only
// the SDK implements, naming the tag, and both refuse unknown ones.
func TestS3Client(t *testing.T) {
	t.Setenv(artifact.MinioEndpointEnv, "")
	for _, u := range []string{"s3://bucket/p?endpoint=http://127.0.0.1:1&fips=false", "minio://bucket/p?endpoint=127.0.0.1:1&dualstack=false"} {
		s, err := artifact.Open(t.Context(), u)
		switch artifact.S3Client {
		case "minio-go":
			if err == nil || !strings.Contains(err.Error(), "-tags awssdk") {
				t.Errorf("Open(%s) = %v, want an error naming -tags awssdk", u, err)
			}
		case "aws-sdk-go-v2":
			if err != nil {
				t.Errorf("Open(%s) with -tags awssdk: %v", u, err)
			}
		default:
			t.Fatalf("S3Client = %q", artifact.S3Client)
		}
		if s != nil {
			s.Close()
		}
	}
	if s, err := artifact.Open(t.Context(), "s3://bucket/p?endpoint=http://127.0.0.1:1&no_such_param=1"); err == nil || !strings.Contains(err.Error(), "no_such_param") {
		if s != nil {
			s.Close()
		}
		t.Errorf("Open with an unknown parameter = %v, want an error naming it", err)
	}
}
