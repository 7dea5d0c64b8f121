//go:build !awssdk

package artifact

import (
	"context"
	"net/url"

	"gocloud.dev/blob"

	"github.com/sluicehq/sluice/artifact/minioblob"
)

// S3Client names the S3 client of this build: "minio-go" by default,
// "aws-sdk-go-v2" with -tags awssdk.
const S3Client = "minio-go"

// openS3 opens s3://bucket?params through the minio-go driver.
func openS3(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	return minioblob.OpenBucketURL(ctx, u)
}
