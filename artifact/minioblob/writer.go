package minioblob

import (
	"bytes"
	"context"
	"io"
	"os"

	"github.com/minio/minio-go/v7"
	"gocloud.dev/blob/driver"
)

// partSize is the size of the parts of an upload whose size is not known
// in advance (a writer's): what is written is held in memory up to one
// part, sent in one PUT if it ends there, else streamed as a multipart
// upload of parts this size (minio-go holds one part at a time), which
// bounds such an object at 10,000 parts, 160 GiB. An upload of a file
// (blob.Bucket.Upload) knows its size, and minio-go sizes its parts.
const partSize = 16 << 20

// NewTypedWriter returns a writer that uploads key: in one PUT at Close if
// it stays under partSize, else as a multipart upload streamed as it is
// written.
func (b *bucket) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	po := minio.PutObjectOptions{
		ContentType:          contentType,
		CacheControl:         opts.CacheControl,
		ContentDisposition:   opts.ContentDisposition,
		ContentEncoding:      opts.ContentEncoding,
		ContentLanguage:      opts.ContentLanguage,
		ServerSideEncryption: b.sse,
	}
	if len(opts.Metadata) > 0 {
		po.UserMetadata = make(map[string]string, len(opts.Metadata))
		for k, v := range opts.Metadata {
			po.UserMetadata[escapeMetaKey(k)] = escapeMetaValue(v)
		}
	}
	if opts.MaxConcurrency > 0 {
		po.NumThreads = uint(opts.MaxConcurrency)
	}
	if opts.IfNotExist {
		po.SetMatchETagExcept("*")
	}
	if opts.BeforeWrite != nil {
		if err := opts.BeforeWrite(func(i any) bool {
			p, ok := i.(**minio.PutObjectOptions)
			if ok {
				*p = &po
			}
			return ok
		}); err != nil {
			return nil, err
		}
	}
	return &writer{ctx: ctx, b: b, key: escapeKey(key), opts: po}, nil
}

type writer struct {
	ctx  context.Context
	b    *bucket
	key  string
	opts minio.PutObjectOptions

	buf      []byte         // what was written, until it passes partSize
	pw       *io.PipeWriter // then: the multipart upload's input
	done     chan struct{}  // closed when that upload ends
	err      error          // its result, once done is closed
	uploaded bool           // Upload sent the object
	upErr    error          // and its result
}

var _ driver.Uploader = (*writer)(nil)

func (w *writer) Write(p []byte) (int, error) {
	if w.pw == nil && len(w.buf)+len(p) <= partSize {
		w.buf = append(w.buf, p...)
		return len(p), nil
	}
	if w.pw == nil {
		w.stream()
		if _, err := w.pw.Write(w.buf); err != nil {
			return 0, err
		}
		w.buf = nil
	}
	return w.pw.Write(p)
}

// stream starts the multipart upload that reads what is written next.
func (w *writer) stream() {
	pr, pw := io.Pipe()
	w.pw, w.done = pw, make(chan struct{})
	opts := w.opts
	opts.PartSize = partSize
	go func() {
		defer close(w.done)
		w.err = w.b.s3.put(w.ctx, w.key, pr, -1, opts)
		pr.CloseWithError(w.err) // a failed upload fails the writes still coming
	}()
}

// Upload sends r as the whole object (blob.Bucket.Upload); the size of a
// file or an in-memory reader is known, so no part is buffered here.
func (w *writer) Upload(r io.Reader) error {
	size := int64(-1)
	switch r := r.(type) {
	case *os.File:
		if fi, err := r.Stat(); err == nil && fi.Mode().IsRegular() {
			if off, err := r.Seek(0, io.SeekCurrent); err == nil {
				size = fi.Size() - off
			}
		}
	case interface{ Len() int }:
		size = int64(r.Len())
	}
	if size < 0 {
		_, err := io.Copy(struct{ io.Writer }{w}, r)
		return err
	}
	w.uploaded = true
	w.upErr = w.b.put(w.ctx, w.key, r, size, w.opts)
	return w.upErr
}

// Close finishes the upload: the object exists after a nil return.
func (w *writer) Close() error {
	if w.uploaded {
		return w.ctxErr(w.upErr)
	}
	if w.pw == nil {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		err := w.b.put(w.ctx, w.key, bytes.NewReader(w.buf), int64(len(w.buf)), w.opts)
		w.buf = nil
		return w.ctxErr(err)
	}
	w.pw.Close()
	<-w.done
	return w.ctxErr(w.err)
}

// ctxErr is err, or the context's error when it was cancelled.
func (w *writer) ctxErr(err error) error {
	if err != nil && w.ctx.Err() != nil {
		return w.ctx.Err()
	}
	return err
}

// emptySHA256 is the SHA-256 of no bytes.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// put uploads size bytes of r to key. An empty object is sent with its
// payload hash in the signature: minio-go's streaming signature (its
// default over plain http) sends no Content-Length for an empty body,
// which S3 servers refuse (MissingContentLength).
func (b *bucket) put(ctx context.Context, key string, r io.Reader, size int64, opts minio.PutObjectOptions) error {
	if size == 0 {
		opts.DisableContentSha256 = true
		return b.s3.putEmpty(ctx, key, emptySHA256, opts)
	}
	return b.s3.put(ctx, key, r, size, opts)
}
