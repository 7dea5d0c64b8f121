package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluicehq/sluice/rundir"
)

// Store is where artifacts and logs live. Keys are slash-separated paths
// under the store's root. The contract is in the package documentation.
type Store interface {
	// URI returns the artifact URI of key (an absolute file path for local
	// stores, s3://bucket/prefix/key etc. for buckets), or "" if key is invalid.
	URI(key string) string
	// Put uploads a local file or directory tree (recursively) to key,
	// replacing whatever was stored at key or under key/. localPath is
	// read as LocalFiles reads it.
	Put(ctx context.Context, localPath, key string) error
	// PutFiles uploads the files files gives to key, replacing whatever
	// was stored at key or under key/ (a file given as "" is the object
	// at key, the others are key/rel). Nothing is replaced when files
	// fails before giving a file.
	PutFiles(ctx context.Context, files Files, key string) error
	// Get downloads key (a single object, or every object under key/ as a
	// tree) to localPath.
	Get(ctx context.Context, key, localPath string) error
	// Open reads one object.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Create returns a writer whose content becomes the object at Close.
	Create(ctx context.Context, key string) (io.WriteCloser, error)
	// List returns the sorted keys of every object equal to prefix or under
	// prefix/ ("" lists everything).
	List(ctx context.Context, prefix string) ([]string, error)
	// Exists reports whether key is an object or a non-empty directory.
	Exists(ctx context.Context, key string) (bool, error)
	// Delete removes the object at key and everything under key/.
	Delete(ctx context.Context, key string) error
	// Close releases the store.
	Close() error
}

// Files is a local file or directory tree to upload, read by the rules of
// whoever made it (a step's output is read as rundir.Output reads it):
// it calls fn for each regular file with its slash-separated path
// relative to the tree ("" when the tree is that one file) and the file,
// open for reading, and returns fn's first error.
type Files func(fn func(rel string, f *os.File) error) error

// LocalFiles is the file or tree at p as Put reads it: regular files and
// directories only, opened without blocking; p itself is followed where
// it leads, no link inside its tree is (a FIFO, a device, a socket or a
// link there is left out).
func LocalFiles(p string) Files { return rundir.Output{}.Files(p) }

// RangeOpener is a Store that can read an object from an offset without
// reading what comes before it (every Store of this package is one).
type RangeOpener interface {
	// OpenAt reads one object from byte offset on; an offset at or past
	// its end reads nothing.
	OpenAt(ctx context.Context, key string, offset int64) (io.ReadCloser, error)
}

// OpenAt reads the object at key from byte offset on: through the store's
// own OpenAt when it has one, else by reading and dropping the first
// offset bytes.
func OpenAt(ctx context.Context, s Store, key string, offset int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, fmt.Errorf("open artifact %q at %d: negative offset", key, offset)
	}
	if ro, ok := s.(RangeOpener); ok {
		return ro.OpenAt(ctx, key, offset)
	}
	rc, err := s.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	if _, err := io.CopyN(io.Discard, rc, offset); err != nil && !errors.Is(err, io.EOF) {
		rc.Close()
		return nil, fmt.Errorf("open artifact %q at %d: %w", key, offset, err)
	}
	return rc, nil
}

// Open opens the store named by rawURL: a local path or file:///dir, or
// s3://, minio://, gs://, azblob:// or mem:// bucket URLs (see the package
// doc).
// The empty URL is rejected: callers supply their configured default.
func Open(ctx context.Context, rawURL string) (Store, error) {
	if rawURL == "" {
		return nil, errors.New("open artifact store: empty URL")
	}
	if !strings.Contains(rawURL, "://") {
		return store(openDir(rawURL))
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// Do not echo the URL: it may carry secrets in its query.
		return nil, fmt.Errorf("open artifact store: malformed URL")
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("open artifact store: file URL with host %q", u.Host)
		}
		if u.Path == "" {
			return nil, errors.New("open artifact store: file URL without a path")
		}
		return store(openDir(filepath.FromSlash(u.Path)))
	case "s3", "gs", "azblob", "mem":
		return store(openBucket(ctx, u, u.Scheme))
	case "minio":
		return store(openMinio(ctx, u))
	default:
		return nil, fmt.Errorf("open artifact store: unsupported scheme %q (want a path, file, s3, minio, gs, azblob or mem)", u.Scheme)
	}
}

// store returns s as a Store, or a nil Store (not a nil *S in a non-nil
// Store) with err.
func store[S Store](s S, err error) (Store, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}

// IsBucketURI reports whether an artifact URI names an object in a bucket
// (s3://, minio://, gs://, azblob://, ...) rather than a local path or
// file:// URL.
func IsBucketURI(uri string) bool {
	i := strings.Index(uri, "://")
	return i > 0 && uri[:i] != "file"
}

// KeyOf is the inverse of s.URI: it reports whether uri lies inside the store
// and at which key. For local stores, absolute paths and file:// URLs are
// both accepted.
func KeyOf(s Store, uri string) (string, bool) {
	if k, ok := s.(interface{ KeyOf(string) (string, bool) }); ok {
		return k.KeyOf(uri)
	}
	return keyUnder(s.URI(""), uri)
}

// keyUnder returns the key of uri relative to base (the URI of the root);
// the URI of key is base + "/" + key.
func keyUnder(base, uri string) (string, bool) {
	if base == "" {
		return "", false
	}
	rest, ok := strings.CutPrefix(uri, base+"/")
	if !ok || checkKey(rest, false) != nil {
		return "", false
	}
	return rest, true
}
