package minioblob

import (
	"context"
	"io"
	"iter"
	"net/http"
	"net/url"
	"time"

	"github.com/minio/minio-go/v7"
)

// s3 is the calls the driver makes, as closures over one *minio.Client
// and bucket name. The driver holds these rather than the client: a
// value reachable from a driver.Bucket (an interface) has its exported
// methods kept by the linker whenever the binary can call methods by name
// through reflection (text/template can), and minio.Client has some 200,
// with what they call (policies, replication, compressed batch uploads):
// about half a megabyte of the in-pod launcher.
type s3 struct {
	stat     func(ctx context.Context, key string) (minio.ObjectInfo, error)
	get      func(ctx context.Context, key string, o minio.GetObjectOptions) (io.ReadCloser, minio.ObjectInfo, http.Header, error)
	put      func(ctx context.Context, key string, r io.Reader, size int64, o minio.PutObjectOptions) error
	putEmpty func(ctx context.Context, key, sha256Hex string, o minio.PutObjectOptions) error
	copy     func(ctx context.Context, dst minio.CopyDestOptions, src minio.CopySrcOptions) error
	remove   func(ctx context.Context, key string, o minio.RemoveObjectOptions) error
	presign  func(ctx context.Context, method, key string, expiry time.Duration, h http.Header) (*url.URL, error)
	list     func(ctx context.Context, o minio.ListObjectsOptions) iter.Seq[minio.ObjectInfo]
}

func newS3(c *minio.Client, bucket string) s3 {
	core := minio.Core{Client: c}
	return s3{
		stat: func(ctx context.Context, key string) (minio.ObjectInfo, error) {
			return c.StatObject(ctx, bucket, key, minio.StatObjectOptions{})
		},
		get: func(ctx context.Context, key string, o minio.GetObjectOptions) (io.ReadCloser, minio.ObjectInfo, http.Header, error) {
			return core.GetObject(ctx, bucket, key, o)
		},
		put: func(ctx context.Context, key string, r io.Reader, size int64, o minio.PutObjectOptions) error {
			_, err := c.PutObject(ctx, bucket, key, r, size, o)
			return err
		},
		putEmpty: func(ctx context.Context, key, sha256Hex string, o minio.PutObjectOptions) error {
			_, err := core.PutObject(ctx, bucket, key, http.NoBody, 0, "", sha256Hex, o)
			return err
		},
		copy: func(ctx context.Context, dst minio.CopyDestOptions, src minio.CopySrcOptions) error {
			_, err := c.CopyObject(ctx, dst, src)
			return err
		},
		remove: func(ctx context.Context, key string, o minio.RemoveObjectOptions) error {
			return c.RemoveObject(ctx, bucket, key, o)
		},
		presign: func(ctx context.Context, method, key string, expiry time.Duration, h http.Header) (*url.URL, error) {
			return c.PresignHeader(ctx, method, bucket, key, expiry, url.Values{}, h)
		},
		list: func(ctx context.Context, o minio.ListObjectsOptions) iter.Seq[minio.ObjectInfo] {
			return c.ListObjectsIter(ctx, bucket, o)
		},
	}
}
