package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	// Bucket drivers, registered explicitly here, in drivers_gcs.go,
	// drivers_azure.go and drivers_awssdk.go (with -tags gcs, azure,
	// awssdk; see drivers.go) and nowhere else. Each registers its URL
	// opener with gocloud's default URL mux. s3:// goes through openS3
	// (drivers_s3.go, or drivers_awssdk.go).
	_ "gocloud.dev/blob/memblob"
)

// BucketStore is a Store on a gocloud.dev/blob bucket (S3-compatible, GCS,
// Azure Blob Storage or in-memory).
type BucketStore struct {
	bucket *blob.Bucket // already prefixed
	base   string       // URI of the root: scheme://bucket[/prefix]
}

var (
	_ Store       = (*BucketStore)(nil)
	_ RangeOpener = (*BucketStore)(nil)
)

// NewBucketStore wraps an open bucket. base is the URI of the bucket's root
// (e.g. "s3://bucket/prefix"), used by URI; the store owns bucket and closes
// it on Close.
func NewBucketStore(bucket *blob.Bucket, base string) *BucketStore {
	if !strings.HasSuffix(base, "://") {
		base = strings.TrimSuffix(base, "/")
	}
	return &BucketStore{bucket: bucket, base: base}
}

// openBucket opens u with gocloud; the store's URIs use scheme (u.Scheme,
// or "minio" for the s3 URL openMinio builds).
func openBucket(ctx context.Context, u *url.URL, scheme string) (*BucketStore, error) {
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" && checkKey(prefix, false) != nil {
		return nil, fmt.Errorf("open artifact store %s://%s: bad prefix %q", scheme, u.Host, prefix)
	}
	base := scheme + "://" + u.Host
	if prefix != "" {
		base += "/" + prefix
	}
	if err := CheckScheme(scheme); err != nil {
		return nil, fmt.Errorf("open artifact store: %w", err)
	}
	bu := *u
	bu.Path = ""
	bu.RawPath = ""
	bu.User = nil
	var b *blob.Bucket
	var err error
	if bu.Scheme == "s3" {
		b, err = openS3(ctx, &bu)
	} else {
		b, err = blob.DefaultURLMux().OpenBucketURL(ctx, &bu)
	}
	if err != nil {
		return nil, fmt.Errorf("open artifact store %s: %w", base, err)
	}
	if prefix != "" {
		b = blob.PrefixedBucket(b, prefix+"/")
	}
	return NewBucketStore(b, base), nil
}

// URI returns scheme://bucket/prefix/key.
func (s *BucketStore) URI(key string) string {
	if checkKey(key, true) != nil {
		return ""
	}
	if key == "" {
		return s.base
	}
	return s.base + "/" + key
}

// Put uploads localPath (a file or a tree) to key, replacing what was there.
func (s *BucketStore) Put(ctx context.Context, localPath, key string) error {
	return s.PutFiles(ctx, LocalFiles(localPath), key)
}

// PutFiles uploads files to key, replacing what was there once the first
// file comes (or at the end, for a tree without files).
func (s *BucketStore) PutFiles(ctx context.Context, files Files, key string) error {
	if err := checkKey(key, false); err != nil {
		return fmt.Errorf("put artifact: %w", err)
	}
	deleted := false
	replace := func() error {
		if deleted {
			return nil
		}
		deleted = true
		return s.Delete(ctx, key)
	}
	err := files(func(rel string, f *os.File) error {
		if rel != "" && checkKey(rel, false) != nil {
			return fmt.Errorf("file %q: %w", rel, ErrInvalidKey)
		}
		if err := replace(); err != nil {
			return err
		}
		// Upload hands the file itself to the driver, which can then
		// send it with its size known instead of buffering parts.
		return s.bucket.Upload(ctx, joinKey(key, rel), f, &blob.WriterOptions{ContentType: "application/octet-stream"})
	})
	if err == nil {
		err = replace()
	}
	if err != nil {
		return fmt.Errorf("put artifact %q: %w", key, err)
	}
	return nil
}

// Get downloads one object, or the tree under key/, to localPath.
func (s *BucketStore) Get(ctx context.Context, key, localPath string) error {
	if err := checkKey(key, false); err != nil {
		return fmt.Errorf("get artifact: %w", err)
	}
	err := s.download(ctx, key, localPath)
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("get artifact %q: %w", key, err)
	}
	keys, err := s.list(ctx, key+"/", 0)
	if err != nil {
		return fmt.Errorf("get artifact %q: %w", key, err)
	}
	if len(keys) == 0 {
		return fmt.Errorf("get artifact %q: %w", key, ErrNotFound)
	}
	if err := os.MkdirAll(localPath, 0o755); err != nil {
		return fmt.Errorf("get artifact %q: %w", key, err)
	}
	for _, k := range keys {
		rel := strings.TrimPrefix(k, key+"/")
		if checkKey(rel, false) != nil {
			return fmt.Errorf("get artifact %q: object %q: %w", key, k, ErrInvalidKey)
		}
		if err := s.download(ctx, k, filepath.Join(localPath, filepath.FromSlash(rel))); err != nil {
			return fmt.Errorf("get artifact %q: %w", key, err)
		}
	}
	return nil
}

func (s *BucketStore) download(ctx context.Context, key, path string) error {
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return notFound(err)
	}
	defer r.Close()
	return writeFileFrom(path, r, 0o644)
}

// notFound maps gocloud's NotFound to ErrNotFound.
func notFound(err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// Open reads one object.
func (s *BucketStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key, false); err != nil {
		return nil, fmt.Errorf("open artifact: %w", err)
	}
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, fmt.Errorf("open artifact %q: %w", key, notFound(err))
	}
	return r, nil
}

// OpenAt reads one object from offset on, with a ranged read.
func (s *BucketStore) OpenAt(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	if err := checkKey(key, false); err != nil {
		return nil, fmt.Errorf("open artifact: %w", err)
	}
	if offset < 0 {
		return nil, fmt.Errorf("open artifact %q at %d: negative offset", key, offset)
	}
	if offset > 0 {
		attrs, err := s.bucket.Attributes(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("open artifact %q: %w", key, notFound(err))
		}
		if offset >= attrs.Size {
			return io.NopCloser(strings.NewReader("")), nil
		}
	}
	r, err := s.bucket.NewRangeReader(ctx, key, offset, -1, nil)
	if err != nil {
		return nil, fmt.Errorf("open artifact %q: %w", key, notFound(err))
	}
	return r, nil
}

// Create returns a writer that uploads key; the object appears at Close.
func (s *BucketStore) Create(ctx context.Context, key string) (io.WriteCloser, error) {
	if err := checkKey(key, false); err != nil {
		return nil, fmt.Errorf("create artifact: %w", err)
	}
	w, err := s.bucket.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "text/plain; charset=utf-8"})
	if err != nil {
		return nil, fmt.Errorf("create artifact %q: %w", key, err)
	}
	return w, nil
}

// List returns the object at prefix (if any) and every object under prefix/.
func (s *BucketStore) List(ctx context.Context, prefix string) ([]string, error) {
	if err := checkKey(prefix, true); err != nil {
		return nil, fmt.Errorf("list artifacts: %w", err)
	}
	var keys []string
	p := ""
	if prefix != "" {
		ok, err := s.bucket.Exists(ctx, prefix)
		if err != nil {
			return nil, fmt.Errorf("list artifacts %q: %w", prefix, err)
		}
		if ok {
			keys = append(keys, prefix)
		}
		p = prefix + "/"
	}
	under, err := s.list(ctx, p, 0)
	if err != nil {
		return nil, fmt.Errorf("list artifacts %q: %w", prefix, err)
	}
	keys = append(keys, under...)
	sort.Strings(keys)
	return keys, nil
}

// list returns up to max (0: all) object keys starting with p, skipping
// "directory marker" objects whose keys end in "/".
func (s *BucketStore) list(ctx context.Context, p string, max int) ([]string, error) {
	var keys []string
	it := s.bucket.List(&blob.ListOptions{Prefix: p})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return keys, nil
		}
		if err != nil {
			return nil, err
		}
		if obj.IsDir || strings.HasSuffix(obj.Key, "/") {
			continue
		}
		keys = append(keys, obj.Key)
		if max > 0 && len(keys) >= max {
			return keys, nil
		}
	}
}

// Exists reports whether key is an object or has objects under key/.
func (s *BucketStore) Exists(ctx context.Context, key string) (bool, error) {
	if err := checkKey(key, false); err != nil {
		return false, fmt.Errorf("stat artifact: %w", err)
	}
	ok, err := s.bucket.Exists(ctx, key)
	if err != nil {
		return false, fmt.Errorf("stat artifact %q: %w", key, err)
	}
	if ok {
		return true, nil
	}
	keys, err := s.list(ctx, key+"/", 1)
	if err != nil {
		return false, fmt.Errorf("stat artifact %q: %w", key, err)
	}
	return len(keys) > 0, nil
}

// Delete removes the object at key and every object under key/.
func (s *BucketStore) Delete(ctx context.Context, key string) error {
	if err := checkKey(key, false); err != nil {
		return fmt.Errorf("delete artifact: %w", err)
	}
	keys, err := s.list(ctx, key+"/", 0)
	if err != nil {
		return fmt.Errorf("delete artifact %q: %w", key, err)
	}
	for _, k := range append(keys, key) {
		if err := s.bucket.Delete(ctx, k); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return fmt.Errorf("delete artifact %q: %w", k, err)
		}
	}
	return nil
}

// Close closes the bucket.
func (s *BucketStore) Close() error { return s.bucket.Close() }
