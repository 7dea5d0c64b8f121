package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/sluicehq/sluice/rundir"
)

// tmpPrefix marks temporary files the local store writes before renaming;
// List skips them.
const tmpPrefix = ".sluice-tmp-"

// DirStore is a Store of plain files under a local root directory.
type DirStore struct {
	root string // absolute, clean
}

var (
	_ Store       = (*DirStore)(nil)
	_ RangeOpener = (*DirStore)(nil)
)

// OpenDir opens (creating if needed) a local directory store rooted at dir.
func OpenDir(dir string) (*DirStore, error) { return openDir(dir) }

func openDir(dir string) (*DirStore, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open artifact dir %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("open artifact dir %q: %w", dir, err)
	}
	return &DirStore{root: abs}, nil
}

// Root returns the store's absolute root directory.
func (s *DirStore) Root() string { return s.root }

func (s *DirStore) path(key string, allowRoot bool) (string, error) {
	if err := checkKey(key, allowRoot); err != nil {
		return "", err
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// URI returns the absolute path of key.
func (s *DirStore) URI(key string) string {
	p, err := s.path(key, true)
	if err != nil {
		return ""
	}
	return p
}

// KeyOf accepts absolute paths and file:// URLs under the root.
func (s *DirStore) KeyOf(uri string) (string, bool) {
	p := uri
	if strings.HasPrefix(uri, "file://") {
		u, err := url.Parse(uri)
		if err != nil || (u.Host != "" && u.Host != "localhost") {
			return "", false
		}
		p = filepath.FromSlash(u.Path)
	}
	if !filepath.IsAbs(p) {
		return "", false
	}
	rel, err := filepath.Rel(s.root, filepath.Clean(p))
	if err != nil || rel == "." {
		return "", false
	}
	key := filepath.ToSlash(rel)
	if checkKey(key, false) != nil {
		return "", false
	}
	return key, true
}

// Put copies localPath (a file or a tree) to key, replacing what was there.
func (s *DirStore) Put(ctx context.Context, localPath, key string) error {
	dst, err := s.path(key, false)
	if err != nil {
		return fmt.Errorf("put artifact: %w", err)
	}
	src, err := filepath.Abs(localPath)
	if err != nil {
		return fmt.Errorf("put artifact %q: %w", key, err)
	}
	if src == dst {
		if _, err := os.Stat(src); err != nil {
			return fmt.Errorf("put artifact %q: %w", key, err)
		}
		return nil // already in place
	}
	if within(src, dst) || within(dst, src) {
		return fmt.Errorf("put artifact %q: source %s overlaps destination %s", key, src, dst)
	}
	return s.PutFiles(ctx, LocalFiles(src), key)
}

// PutFiles writes files beside key, in a temporary directory, and then
// puts them in key's place: what was there is replaced only when every
// file was written, and files may be read from key itself.
func (s *DirStore) PutFiles(ctx context.Context, files Files, key string) error {
	dst, err := s.path(key, false)
	if err != nil {
		return fmt.Errorf("put artifact: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("put artifact %q: %w", key, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), tmpPrefix+"*")
	if err != nil {
		return fmt.Errorf("put artifact %q: %w", key, err)
	}
	defer os.RemoveAll(tmp)
	built := filepath.Join(tmp, "tree")
	single := false
	err = files(func(rel string, f *os.File) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if rel != "" && checkKey(rel, false) != nil {
			return fmt.Errorf("file %q: %w", rel, ErrInvalidKey)
		}
		info, err := f.Stat()
		if err != nil {
			return err
		}
		single = rel == ""
		return writeFileFrom(filepath.Join(built, filepath.FromSlash(rel)), f, info.Mode().Perm())
	})
	if err == nil && !single {
		err = os.MkdirAll(built, 0o755) // a tree without files
	}
	if err == nil {
		err = os.RemoveAll(dst)
	}
	if err == nil {
		err = os.Rename(built, dst)
	}
	if err != nil {
		return fmt.Errorf("put artifact %q: %w", key, err)
	}
	return nil
}

// Get copies key (a file or a tree) to localPath.
func (s *DirStore) Get(ctx context.Context, key, localPath string) error {
	src, err := s.path(key, false)
	if err != nil {
		return fmt.Errorf("get artifact: %w", err)
	}
	dst, err := filepath.Abs(localPath)
	if err != nil {
		return fmt.Errorf("get artifact %q: %w", key, err)
	}
	info, err := os.Stat(src)
	if isNotExist(err) {
		return fmt.Errorf("get artifact %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("get artifact %q: %w", key, err)
	}
	if src == dst {
		return nil
	}
	if within(src, dst) || within(dst, src) {
		return fmt.Errorf("get artifact %q: source %s overlaps destination %s", key, src, dst)
	}
	if info.IsDir() {
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return fmt.Errorf("get artifact %q: %w", key, err)
		}
	}
	err = LocalFiles(src)(func(rel string, f *os.File) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		return writeFileFrom(filepath.Join(dst, filepath.FromSlash(rel)), f, fi.Mode().Perm())
	})
	if err != nil {
		return fmt.Errorf("get artifact %q: %w", key, err)
	}
	return nil
}

// Open opens the file at key.
func (s *DirStore) Open(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := s.path(key, false)
	if err != nil {
		return nil, fmt.Errorf("open artifact: %w", err)
	}
	f, err := rundir.OpenRegular(p) // without blocking on a FIFO
	if isNotExist(err) {
		return nil, fmt.Errorf("open artifact %q: %w", key, ErrNotFound)
	}
	if errors.Is(err, rundir.ErrNotRegular) {
		return nil, fmt.Errorf("open artifact %q: not a file: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open artifact %q: %w", key, err)
	}
	return f, nil
}

// OpenAt opens the file at key, positioned at offset.
func (s *DirStore) OpenAt(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, fmt.Errorf("open artifact %q at %d: negative offset", key, offset)
	}
	rc, err := s.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	if _, err := rc.(*os.File).Seek(offset, io.SeekStart); err != nil {
		rc.Close()
		return nil, fmt.Errorf("open artifact %q at %d: %w", key, offset, err)
	}
	return rc, nil
}

// Create truncates and writes the file at key in place, so it can be tailed.
func (s *DirStore) Create(_ context.Context, key string) (io.WriteCloser, error) {
	p, err := s.path(key, false)
	if err != nil {
		return nil, fmt.Errorf("create artifact: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("create artifact %q: %w", key, err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create artifact %q: %w", key, err)
	}
	return f, nil
}

// List walks the tree at prefix.
func (s *DirStore) List(ctx context.Context, prefix string) ([]string, error) {
	p, err := s.path(prefix, true)
	if err != nil {
		return nil, fmt.Errorf("list artifacts: %w", err)
	}
	var keys []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if isNotExist(err) && path == p {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), tmpPrefix) && d.IsDir() && path != p {
			return fs.SkipDir // a PutFiles being written
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), tmpPrefix) {
			return nil
		}
		rel, err := filepath.Rel(s.root, path)
		if err != nil {
			return err
		}
		keys = append(keys, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list artifacts %q: %w", prefix, err)
	}
	sort.Strings(keys)
	return keys, nil
}

// Exists reports whether key is a file or a directory.
func (s *DirStore) Exists(_ context.Context, key string) (bool, error) {
	p, err := s.path(key, false)
	if err != nil {
		return false, fmt.Errorf("stat artifact: %w", err)
	}
	_, err = os.Stat(p)
	if isNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat artifact %q: %w", key, err)
	}
	return true, nil
}

// Delete removes the file or tree at key.
func (s *DirStore) Delete(_ context.Context, key string) error {
	p, err := s.path(key, false)
	if err != nil {
		return fmt.Errorf("delete artifact: %w", err)
	}
	if err := os.RemoveAll(p); err != nil && !isNotExist(err) {
		return fmt.Errorf("delete artifact %q: %w", key, err)
	}
	return nil
}

// Close does nothing.
func (s *DirStore) Close() error { return nil }

// within reports whether p is inside dir (strictly).
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// writeFileFrom writes r to dst atomically, creating parent directories.
func writeFileFrom(dst string, r io.Reader, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), tmpPrefix+"*")
	if err != nil {
		return err
	}
	_, err = io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), perm|0o600)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// isNotExist reports a missing path, including one below a regular file.
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
