//go:build awssdk

package artifact

import (
	"context"
	"net/url"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // s3:// through the AWS SDK, registered with gocloud's default URL mux
)

// S3Client names the S3 client of this build: "minio-go" by default,
// "aws-sdk-go-v2" with -tags awssdk.
const S3Client = "aws-sdk-go-v2"

// openS3 opens s3://bucket?params through gocloud's s3blob driver and
// AWS's SDK, with its whole credential chain.
func openS3(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	return blob.DefaultURLMux().OpenBucketURL(ctx, u)
}
