package rundir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrOutside is a path that would leave the directory it must stay in.
var ErrOutside = errors.New("outside the run's directory")

// Root is a directory that Sluice creates and deletes things in: a run's
// directory, or the scratch directory of a run whose artifacts live in a
// bucket. Every path given to its methods is an absolute path that must
// lie under the directory once cleaned (ErrOutside otherwise), and no
// operation follows a symbolic link out of it (os.Root): a link a step
// planted in its run's directory cannot make Sluice write or delete
// anything elsewhere.
type Root struct {
	dir string
	r   *os.Root
}

// OpenRoot opens dir, which must exist, as a Root: for what Sluice reads
// confined to a directory that is not a run's (a trial's pipeline root,
// the artifact store).
func OpenRoot(dir string) (*Root, error) { return openRoot(dir) }

// OpenRootOf opens the one of dirs that p lies under and returns it with
// p as a path under its Dir, or an error wrapping ErrOutside when p lies
// under none. Each dir is tried as given and with its links resolved, and
// p as given and with the links of its parent directory resolved, so
// that a root reached through a link (/tmp → /private/tmp) is found
// either way; a link p holds is then followed only inside the root.
func OpenRootOf(dirs []string, p string) (*Root, string, error) {
	p = filepath.Clean(p)
	paths := []string{p}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		paths = append(paths, filepath.Join(dir, filepath.Base(p)))
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		cands := []string{filepath.Clean(d)}
		if real, err := filepath.EvalSymlinks(d); err == nil && real != cands[0] {
			cands = append(cands, real)
		}
		for _, c := range cands {
			for _, q := range paths {
				if _, err := within(c, q); err != nil {
					continue
				}
				r, err := openRoot(c)
				if err != nil {
					return nil, "", err
				}
				return r, q, nil
			}
		}
	}
	return nil, "", fmt.Errorf("%s is not under %s: %w", p, strings.Join(dirs, ", "), ErrOutside)
}

// openRoot opens dir, which must exist.
func openRoot(dir string) (*Root, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Root{dir: filepath.Clean(dir), r: r}, nil
}

// Dir is the directory the root confines to.
func (r *Root) Dir() string { return r.dir }

// Contains reports whether p, cleaned, is the root's directory or lies
// under it.
func (r *Root) Contains(p string) bool {
	_, err := r.rel(p)
	return err == nil
}

// Close releases the root.
func (r *Root) Close() error { return r.r.Close() }

// rel is p relative to the root, or ErrOutside.
func (r *Root) rel(p string) (string, error) {
	rel, err := within(r.dir, p)
	if err != nil {
		return "", err
	}
	return rel, nil
}

// within is p relative to dir when p, cleaned, is dir or lies under it.
func within(dir, p string) (string, error) {
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("%q: not an absolute path: %w", p, ErrOutside)
	}
	rel, err := filepath.Rel(dir, filepath.Clean(p))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%q is not under %s: %w", p, dir, ErrOutside)
	}
	return rel, nil
}

// MkdirAll creates directory p and its missing parents.
func (r *Root) MkdirAll(p string) error {
	rel, err := r.rel(p)
	if err != nil {
		return err
	}
	if rel == "." {
		return nil
	}
	if err := r.r.MkdirAll(rel, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", p, err)
	}
	return nil
}

// RemoveAll removes p and everything under it; p may not be the root
// itself.
func (r *Root) RemoveAll(p string) error {
	rel, err := r.rel(p)
	if err != nil {
		return err
	}
	if rel == "." {
		return fmt.Errorf("remove %s: the root itself: %w", p, ErrOutside)
	}
	if err := r.r.RemoveAll(rel); err != nil {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	return nil
}

// Create creates or truncates file p, creating its parent directories.
func (r *Root) Create(p string, perm os.FileMode) (*os.File, error) {
	rel, err := r.rel(p)
	if err != nil {
		return nil, err
	}
	if dir := filepath.Dir(rel); dir != "." {
		if err := r.r.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", p, err)
		}
	}
	f, err := r.r.OpenFile(rel, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", p, err)
	}
	return f, nil
}

// WriteFile writes data to file p, creating its parent directories.
func (r *Root) WriteFile(p string, data []byte) error {
	f, err := r.Create(p, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// OpenRegular opens regular file p for reading, without following a link
// out of the root (one inside it is followed, relative or absolute) and
// without blocking: a FIFO, a device or a directory a step left where
// Sluice reads its outputs is refused instead of being read forever. A
// link out is an error wrapping ErrOutside, nothing there one wrapping
// fs.ErrNotExist.
func (r *Root) OpenRegular(p string) (*os.File, error) {
	rel, err := r.rel(p)
	if err != nil {
		return nil, err
	}
	f, _, err := r.openIn(p, rel)
	if err != nil {
		return nil, err
	}
	if err := checkRegular(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return f, nil
}

// ErrNotRegular is a file Sluice reads that is not a regular file (a
// FIFO, a device, a directory).
var ErrNotRegular = errors.New("not a regular file")

// OpenRegular opens regular file p for reading as Root.OpenRegular does,
// for a path Sluice has no root for (a step running in a pod, a file a step
// names): without blocking, a FIFO, a device or a directory refused.
func OpenRegular(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if err := checkRegular(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return f, nil
}

func checkRegular(f *os.File) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%w (%s)", ErrNotRegular, info.Mode().Type())
	}
	return nil
}
