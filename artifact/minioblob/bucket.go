package minioblob

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/encrypt"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"
)

// bucket implements driver.Bucket on one S3 bucket.
type bucket struct {
	s3   s3
	name string
	sse  encrypt.ServerSide // nil: the bucket's default
}

var _ driver.Bucket = (*bucket)(nil)

// ErrorCode maps S3's error codes and HTTP statuses to gocloud's.
func (b *bucket) ErrorCode(err error) gcerrors.ErrorCode {
	switch {
	case errors.Is(err, context.Canceled):
		return gcerrors.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return gcerrors.DeadlineExceeded
	case errors.Is(err, ErrNoCredentials):
		return gcerrors.PermissionDenied
	case errors.Is(err, errNoAbsentContentType):
		return gcerrors.Unimplemented
	}
	var er minio.ErrorResponse
	if !errors.As(err, &er) {
		return gcerrors.Unknown
	}
	switch er.Code {
	case "NoSuchKey", "NoSuchBucket", "NotFound", "ObjectNotInActiveTierError":
		return gcerrors.NotFound
	case "PreconditionFailed":
		return gcerrors.FailedPrecondition
	case "AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch":
		return gcerrors.PermissionDenied
	case "NotImplemented":
		return gcerrors.Unimplemented
	case "SlowDown":
		return gcerrors.ResourceExhausted
	case "InvalidArgument", "InvalidRange":
		return gcerrors.InvalidArgument
	}
	switch er.StatusCode {
	case http.StatusNotFound, http.StatusMovedPermanently:
		return gcerrors.NotFound
	case http.StatusPreconditionFailed:
		return gcerrors.FailedPrecondition
	case http.StatusUnauthorized, http.StatusForbidden:
		return gcerrors.PermissionDenied
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return gcerrors.ResourceExhausted
	}
	return gcerrors.Unknown
}

// As exposes nothing of the bucket (see s3 for why not the client).
func (b *bucket) As(any) bool { return false }

// ErrorAs exposes S3's error response (as *minio.ErrorResponse).
func (b *bucket) ErrorAs(err error, i any) bool {
	p, ok := i.(*minio.ErrorResponse)
	return ok && errors.As(err, p)
}

// Attributes is a HEAD request.
func (b *bucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	info, err := b.s3.stat(ctx, escapeKey(key))
	if err != nil {
		return nil, err
	}
	md := make(map[string]string, len(info.UserMetadata))
	for k, v := range info.UserMetadata {
		md[unescapeMetaKey(k)] = unescapeMetaValue(v)
	}
	return &driver.Attributes{
		CacheControl:       info.Metadata.Get("Cache-Control"),
		ContentDisposition: info.Metadata.Get("Content-Disposition"),
		ContentEncoding:    info.Metadata.Get("Content-Encoding"),
		ContentLanguage:    info.Metadata.Get("Content-Language"),
		ContentType:        info.ContentType,
		Metadata:           md,
		ModTime:            info.LastModified,
		Size:               info.Size,
		MD5:                etagMD5(info.ETag),
		ETag:               `"` + info.ETag + `"`,
		AsFunc:             objectInfoAs(info),
	}, nil
}

// etagMD5 is the MD5 of an object whose ETag is one (a single-part upload
// without SSE-KMS), else nil.
func etagMD5(etag string) []byte {
	etag = strings.Trim(etag, `"`)
	if len(etag) != 32 {
		return nil
	}
	md5, err := hex.DecodeString(etag)
	if err != nil {
		return nil
	}
	return md5
}

func objectInfoAs(info minio.ObjectInfo) func(any) bool {
	return func(i any) bool {
		p, ok := i.(*minio.ObjectInfo)
		if ok {
			*p = info
		}
		return ok
	}
}

// NewRangeReader is a GET, ranged unless it reads the whole object.
func (b *bucket) NewRangeReader(ctx context.Context, key string, offset, length int64, opts *driver.ReaderOptions) (driver.Reader, error) {
	var o minio.GetObjectOptions
	var err error
	switch {
	case length == 0:
		err = o.SetRange(offset, offset) // S3 has no empty range: read one byte, return none
	case length > 0:
		err = o.SetRange(offset, offset+length-1)
	case offset > 0:
		err = o.SetRange(offset, 0)
	}
	if err != nil {
		return nil, err
	}
	if opts.BeforeRead != nil {
		if err := opts.BeforeRead(func(i any) bool {
			p, ok := i.(**minio.GetObjectOptions)
			if ok {
				*p = &o
			}
			return ok
		}); err != nil {
			return nil, err
		}
	}
	body, info, header, err := b.s3.get(ctx, escapeKey(key), o)
	if err != nil {
		return nil, err
	}
	size := info.Size
	if cr := header.Get("Content-Range"); cr != "" { // bytes 10-14/27: the object's size is after the slash
		var a, z int64
		if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &a, &z, &size); err != nil {
			size = info.Size
		}
	}
	r := &reader{body: body, attrs: driver.ReaderAttributes{ContentType: info.ContentType, ModTime: info.LastModified, Size: size}, info: info}
	if length == 0 {
		body.Close()
		r.body = http.NoBody
	}
	return r, nil
}

type reader struct {
	body  io.ReadCloser
	attrs driver.ReaderAttributes
	info  minio.ObjectInfo
}

var _ driver.Downloader = (*reader)(nil)

func (r *reader) Read(p []byte) (int, error)           { return r.body.Read(p) }
func (r *reader) Close() error                         { return r.body.Close() }
func (r *reader) Attributes() *driver.ReaderAttributes { return &r.attrs }
func (r *reader) As(i any) bool                        { return objectInfoAs(r.info)(i) }

// Download copies the whole object to w (blob.Bucket.Download).
func (r *reader) Download(w io.Writer) error {
	_, err := io.Copy(w, r.body)
	return err
}

// Copy is a server-side copy (CopyObject: up to 5 GiB).
func (b *bucket) Copy(ctx context.Context, dstKey, srcKey string, opts *driver.CopyOptions) error {
	dst := minio.CopyDestOptions{Bucket: b.name, Object: escapeKey(dstKey), Encryption: b.sse}
	src := minio.CopySrcOptions{Bucket: b.name, Object: escapeKey(srcKey)}
	if opts.BeforeCopy != nil {
		if err := opts.BeforeCopy(func(i any) bool {
			switch p := i.(type) {
			case **minio.CopyDestOptions:
				*p = &dst
			case **minio.CopySrcOptions:
				*p = &src
			default:
				return false
			}
			return true
		}); err != nil {
			return err
		}
	}
	return b.s3.copy(ctx, dst, src)
}

// Delete removes key; S3 does not say whether it existed, so it is looked
// at first (as s3blob does) to report NotFound.
func (b *bucket) Delete(ctx context.Context, key string, opts *driver.DeleteOptions) error {
	if _, err := b.Attributes(ctx, key); err != nil {
		return err
	}
	o := minio.RemoveObjectOptions{}
	if opts.BeforeDelete != nil {
		if err := opts.BeforeDelete(func(i any) bool {
			p, ok := i.(**minio.RemoveObjectOptions)
			if ok {
				*p = &o
			}
			return ok
		}); err != nil {
			return err
		}
	}
	return b.s3.remove(ctx, escapeKey(key), o)
}

// errNoAbsentContentType: minio-go cannot sign a PUT that must come
// without a Content-Type (Unimplemented).
var errNoAbsentContentType = errors.New("a signed PUT URL that forbids a Content-Type is not supported by this S3 client")

// SignedURL presigns a GET, PUT or DELETE of key.
func (b *bucket) SignedURL(ctx context.Context, key string, opts *driver.SignedURLOptions) (string, error) {
	method := opts.Method
	if method == "" {
		method = http.MethodGet
	}
	var header http.Header
	switch method {
	case http.MethodGet, http.MethodDelete:
	case http.MethodPut:
		if opts.EnforceAbsentContentType {
			return "", errNoAbsentContentType
		}
		if opts.ContentType != "" { // signed: S3 refuses a PUT with another one
			header = http.Header{"Content-Type": {opts.ContentType}}
		}
	default:
		return "", fmt.Errorf("unsupported method %q for a signed URL", method)
	}
	if opts.BeforeSign != nil {
		if err := opts.BeforeSign(func(any) bool { return false }); err != nil {
			return "", err
		}
	}
	u, err := b.s3.presign(ctx, method, escapeKey(key), opts.Expiry, header)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// Close releases nothing: the client's connections are pooled by its
// transport.
func (b *bucket) Close() error { return nil }

// ListPaged lists one page. S3 pages by continuation token, which minio-go
// keeps to itself; the page token here is the last key returned, and the
// next page starts after it (StartAfter). With the "/" delimiter S3 groups
// the directories; with another one they are grouped here, from the flat
// listing.
func (b *bucket) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	pageSize := opts.PageSize
	if pageSize <= 0 || pageSize > 1000 {
		pageSize = 1000
	}
	after := string(opts.PageToken)
	lo := minio.ListObjectsOptions{
		Prefix:     escapeKey(opts.Prefix),
		Recursive:  opts.Delimiter != "/",
		MaxKeys:    pageSize + 1,
		StartAfter: escapeKey(after),
	}
	if opts.BeforeList != nil {
		if err := opts.BeforeList(func(i any) bool {
			p, ok := i.(**minio.ListObjectsOptions)
			if ok {
				*p = &lo
			}
			return ok
		}); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var objs []*driver.ListObject
	seen := map[string]bool{} // directories already returned in this page
	for info := range b.s3.list(ctx, lo) {
		if info.Err != nil {
			return nil, info.Err
		}
		key := hexUnescape(info.Key)
		o := &driver.ListObject{Key: key, ModTime: info.LastModified, Size: info.Size, MD5: etagMD5(info.ETag), AsFunc: objectInfoAs(info)}
		if opts.Delimiter == "/" && info.ETag == "" && strings.HasSuffix(info.Key, "/") && info.LastModified.IsZero() {
			o = &driver.ListObject{Key: key, IsDir: true} // a common prefix
		} else if rest, ok := strings.CutPrefix(key, opts.Prefix); ok && opts.Delimiter != "" {
			if i := strings.Index(rest, opts.Delimiter); i >= 0 {
				o = &driver.ListObject{Key: key[:len(opts.Prefix)+i+len(opts.Delimiter)], IsDir: true}
			}
		}
		// A directory comes back once per object under it (grouped here)
		// and again after a page that ended with it (grouped by S3).
		if o.Key <= after && after != "" || o.IsDir && seen[o.Key] {
			continue
		}
		if o.IsDir {
			seen[o.Key] = true
		}
		objs = append(objs, o)
		// With "/" each response lists its objects before its directories:
		// read one more than a page, and sort.
		if len(objs) > pageSize {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(objs, func(a, c *driver.ListObject) int { return strings.Compare(a.Key, c.Key) })
	page := &driver.ListPage{Objects: objs}
	if len(objs) > pageSize {
		page.Objects = objs[:pageSize]
		page.NextPageToken = []byte(objs[pageSize-1].Key)
	}
	return page, nil
}
