// Package minioblob is a gocloud.dev/blob driver for S3-compatible object
// storage (AWS S3, MinIO, SeaweedFS, Ceph, ...) on minio-go, a client made
// for S3 alone. It is how the default build of Sluice speaks s3:// and
// minio://: the AWS SDK that gocloud's own s3blob driver brings is about
// 14 MB of the in-pod launcher, and is linked only into a build made with
// -tags awssdk (package artifact, drivers_awssdk.go).
//
// [OpenBucketURL] reads the same URLs as s3blob, s3://bucket?endpoint=...
// &region=...&use_path_style=true, and refuses the query parameters it
// does not implement with an error naming them (and the build tag that
// does). Objects are stored under the same names as s3blob stores them
// (keys and metadata escaped the same way), so a bucket can be shared by
// the two builds, with one exception: a key that itself holds "__0x" has
// its first "_" escaped here, so that it reads back as it was written
// (s3blob leaves it, and reads it back unescaped: "a__0x2f__b" as "a/b").
//
// Credentials are looked up, at the first request and again when they
// expire, in this order: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN; MinIO's MINIO_ROOT_USER / MINIO_ROOT_PASSWORD or
// MINIO_ACCESS_KEY / MINIO_SECRET_KEY; the profile (?profile=, else
// AWS_PROFILE, else "default") of the shared files (AWS_CONFIG_FILE,
// AWS_SHARED_CREDENTIALS_FILE, ~/.aws/config and ~/.aws/credentials:
// static keys, SSO from the token `aws sso login` cached, or
// credential_process); then the role of the machine: a web identity
// (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, as EKS's IRSA sets them;
// STS at AWS_ENDPOINT_URL_STS if set), the ECS/EKS container credentials
// endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI), or the
// EC2 instance metadata service (not with AWS_EC2_METADATA_DISABLED=true).
// With none, requests fail naming these sources, unless the URL says
// anonymous=true. Profiles that assume a role (role_arn) are not read:
// they need the build with -tags awssdk.
package minioblob
