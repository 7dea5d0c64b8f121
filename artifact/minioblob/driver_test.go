package minioblob

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"
)

// recordingProxy serves the S3 endpoint of raw through a reverse proxy
// on loopback that keeps the requests, and returns raw pointed at it.
func recordingProxy(t *testing.T, raw string) (string, func() []*http.Request) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	target, err := url.Parse(q.Get("endpoint"))
	if err != nil || target.Host == "" {
		t.Fatalf("endpoint of %s: %v", raw, err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	var reqs []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, r.Clone(context.Background()))
		mu.Unlock()
		proxy.ServeHTTP(w, r) // Host stays the proxy's, which the client signed
	}))
	t.Cleanup(srv.Close)
	q.Set("endpoint", srv.URL)
	u.RawQuery = q.Encode()
	return u.String(), func() []*http.Request {
		mu.Lock()
		defer mu.Unlock()
		r := reqs
		reqs = nil
		return r
	}
}

// A writer sends what stays under partSize in one PUT, and streams more as
// a multipart upload; an upload of a file sends it with its size; a
// cancelled context aborts a write.
func TestWritesAndUploads(t *testing.T) {
	servers := map[string]string{"in-process": fakeS3(t, "bkt")}
	if raw := externalS3(t); raw != "" {
		servers["external"] = raw
	}
	for name, raw := range servers {
		t.Run(name, func(t *testing.T) {
			raw, seen := recordingProxy(t, raw)
			// The in-process server keeps the aws-chunked framing of
			// streamed parts in the object: read multipart objects back
			// only from a real server.
			testWrites(t, open(t, raw), seen, name != "in-process")
		})
	}
}

func testWrites(t *testing.T, b *blob.Bucket, seen func() []*http.Request, readParts bool) {
	ctx := t.Context()
	prefix := fmt.Sprintf("writes/%d/", time.Now().UnixNano())
	big := bytes.Repeat([]byte("0123456789abcdef"), (partSize+3<<20)/16) // 19 MiB
	multipart := func(reqs []*http.Request) (initiated, parts, singlePuts int) {
		for _, r := range reqs {
			q := r.URL.Query()
			switch {
			case r.Method == http.MethodPost && q.Has("uploads"):
				initiated++
			case r.Method == http.MethodPut && q.Has("partNumber"):
				parts++
			case r.Method == http.MethodPut:
				singlePuts++
			}
		}
		return
	}
	check := func(key string, want []byte) {
		t.Helper()
		got, err := b.ReadAll(ctx, prefix+key)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("read %s back: %d bytes, %v; want %d bytes", key, len(got), err, len(want))
		}
		b.Delete(ctx, prefix+key)
	}

	seen()
	w, err := b.NewWriter(ctx, prefix+"small", nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		fmt.Fprint(w, "a line\n")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if i, p, s := multipart(seen()); i != 0 || p != 0 || s != 1 {
		t.Errorf("small write: %d multipart uploads, %d parts, %d PUTs; want one PUT", i, p, s)
	}
	check("small", []byte("a line\na line\na line\n"))

	w, err = b.NewWriter(ctx, prefix+"streamed", nil)
	if err != nil {
		t.Fatal(err)
	}
	for chunk := range chunks(big, 1<<20) {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if i, p, _ := multipart(seen()); i != 1 || p != 2 {
		t.Errorf("19 MiB write: %d multipart uploads, %d parts; want 1 of 2 parts", i, p)
	}
	if readParts {
		check("streamed", big)
	}

	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, big, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := b.Upload(ctx, prefix+"uploaded", f, &blob.WriterOptions{ContentType: "application/octet-stream"}); err != nil {
		t.Fatal(err)
	}
	reqs := seen()
	if i, p, _ := multipart(reqs); i != 1 || p < 2 {
		t.Errorf("upload of a 19 MiB file: %d multipart uploads, %d parts; want 1 of 2 or more", i, p)
	}
	for _, r := range reqs {
		if r.Method == http.MethodPut && r.ContentLength < 0 {
			t.Errorf("upload of a file: PUT %s without a length", r.URL)
		}
	}
	if readParts {
		check("uploaded", big)
	}

	cctx, cancel := context.WithCancel(ctx)
	w, err = b.NewWriter(cctx, prefix+"cancelled", nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(big)
	cancel()
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("Close after cancel = %v", err)
	}
	if ok, err := b.Exists(ctx, prefix+"cancelled"); ok || err != nil {
		t.Errorf("Exists(cancelled) = %v, %v", ok, err)
	}
}

func chunks(b []byte, n int) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			k := min(n, len(b))
			if !yield(b[:k]) {
				return
			}
			b = b[k:]
		}
	}
}

// Attributes: size, type, modification time, ETag and (for a single-part
// object) MD5, user metadata; on the in-process server and on a real one.
func TestAttributes(t *testing.T) {
	servers := map[string]string{"in-process": fakeS3(t, "bkt")}
	if raw := externalS3(t); raw != "" {
		servers["external"] = raw
	}
	for name, raw := range servers {
		t.Run(name, func(t *testing.T) {
			b := open(t, raw)
			ctx := t.Context()
			key := fmt.Sprintf("attrs/%d", time.Now().UnixNano())
			content := []byte("some content")
			before := time.Now().Add(-time.Minute)
			opts := &blob.WriterOptions{ContentType: "text/csv", Metadata: map[string]string{"run": "r1", "weird:key=": "v@l/ü"}}
			if err := b.WriteAll(ctx, key, content, opts); err != nil {
				t.Fatal(err)
			}
			defer b.Delete(ctx, key)
			a, err := b.Attributes(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			sum := md5.Sum(content)
			if a.Size != int64(len(content)) || a.ContentType != "text/csv" || !bytes.Equal(a.MD5, sum[:]) ||
				a.ETag != `"`+hex.EncodeToString(sum[:])+`"` || a.ModTime.Before(before) {
				t.Errorf("attributes: size %d, type %q, MD5 %x, ETag %s, modified %v", a.Size, a.ContentType, a.MD5, a.ETag, a.ModTime)
			}
			if a.Metadata["run"] != "r1" || a.Metadata["weird:key="] != "v@l/ü" {
				t.Errorf("metadata %v", a.Metadata)
			}
			var info minio.ObjectInfo
			if !a.As(&info) || info.Size != a.Size {
				t.Errorf("As(*minio.ObjectInfo) = %+v", info)
			}
			if _, err := b.Attributes(ctx, key+"-missing"); gcerrors.Code(err) != gcerrors.NotFound {
				t.Errorf("Attributes of a missing key = %v, want NotFound", err)
			}
		})
	}
}

func TestErrorCode(t *testing.T) {
	b := &bucket{}
	for err, want := range map[error]gcerrors.ErrorCode{
		minio.ErrorResponse{Code: "NoSuchKey", StatusCode: 404}:             gcerrors.NotFound,
		minio.ErrorResponse{Code: "NoSuchBucket", StatusCode: 404}:          gcerrors.NotFound,
		minio.ErrorResponse{StatusCode: 404}:                                gcerrors.NotFound,
		minio.ErrorResponse{Code: "PreconditionFailed", StatusCode: 412}:    gcerrors.FailedPrecondition,
		minio.ErrorResponse{Code: "AccessDenied", StatusCode: 403}:          gcerrors.PermissionDenied,
		minio.ErrorResponse{Code: "SignatureDoesNotMatch", StatusCode: 403}: gcerrors.PermissionDenied,
		minio.ErrorResponse{Code: "SlowDown", StatusCode: 503}:              gcerrors.ResourceExhausted,
		minio.ErrorResponse{Code: "NotImplemented", StatusCode: 501}:        gcerrors.Unimplemented,
		minio.ErrorResponse{Code: "InternalError", StatusCode: 500}:         gcerrors.Unknown,
		fmt.Errorf("wrapped: %w", minio.ErrorResponse{Code: "NoSuchKey"}):   gcerrors.NotFound,
		fmt.Errorf("get: %w", context.Canceled):                             gcerrors.Canceled,
		context.DeadlineExceeded:                                            gcerrors.DeadlineExceeded,
		ErrNoCredentials:                                                    gcerrors.PermissionDenied,
		errors.New("connection refused"):                                    gcerrors.Unknown,
	} {
		if got := b.ErrorCode(err); got != want {
			t.Errorf("ErrorCode(%v) = %v, want %v", err, got, want)
		}
	}
}

// Objects written by gocloud's s3blob (the -tags awssdk build) are read
// by this driver under the same keys and metadata, and the other way
// round: keys with control characters, "../" and escape-like text are
// escaped alike.
func TestS3blobInterop(t *testing.T) {
	raw := fakeS3(t, "bkt")
	u, _ := url.Parse(raw)
	q := u.Query()
	q.Set("response_checksum_validation", "when_required") // the in-process server sends no checksums
	u.RawQuery = q.Encode()
	aws, err := (&s3blob.URLOpener{}).OpenBucketURL(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer aws.Close()
	mine := open(t, raw)
	ctx := t.Context()
	keys := []string{"runs/r1/out", "line\nbreak\ttab", "a/../b", "lit__0x41__eral", "ü spaced/x", "tail../"}
	md := map[string]string{"k": "v", "we:ird@=": "va/lue ü"}
	for i, pair := range [][2]*blob.Bucket{{aws, mine}, {mine, aws}} {
		w, r := pair[0], pair[1]
		for _, k := range keys {
			key := fmt.Sprintf("%d/%s", i, k)
			if err := w.WriteAll(ctx, key, []byte(k), &blob.WriterOptions{Metadata: md}); err != nil {
				t.Fatalf("%d: write %q: %v", i, key, err)
			}
			got, err := r.ReadAll(ctx, key)
			if err != nil || string(got) != k {
				t.Errorf("%d: read %q = %q, %v", i, key, got, err)
			}
			a, err := r.Attributes(ctx, key)
			if err != nil || a.Metadata["we:ird@="] != "va/lue ü" || a.Metadata["k"] != "v" {
				t.Errorf("%d: metadata of %q = %v, %v", i, key, a, err)
			}
		}
		for _, b := range []*blob.Bucket{aws, mine} {
			var listed []string
			it := b.List(&blob.ListOptions{Prefix: fmt.Sprintf("%d/", i)})
			for {
				o, err := it.Next(ctx)
				if err != nil {
					break
				}
				listed = append(listed, strings.TrimPrefix(o.Key, fmt.Sprintf("%d/", i)))
			}
			if len(listed) != len(keys) {
				t.Errorf("%d: listed %q, want %q", i, listed, keys)
			}
		}
	}
}
