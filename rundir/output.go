package rundir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"syscall"
)

// ErrNotOwned is a file a step's output holds that the step's user does
// not own (Output.Owner).
var ErrNotOwned = errors.New("not the step's own file")

// Output is how Sluice reads a file or a directory tree a step wrote (an
// output artifact it uploads, copies or serves; a custom path): regular
// files and directories only, opened without blocking, never through a
// symbolic link out of Root, and, with Owner set (steps run as
// --step-user), only the files that uid owns, so that the server never
// reads for a step a file the step could not read itself.
//
// With a Root, a link is followed while it stays inside the root (written
// relative, or absolute naming a path under the root): a link to a regular
// file is read as that file; a link to a directory inside a tree is not
// followed (no cycles; the path itself may be one); a link that leads
// nowhere is left out; a link out of the root is an error naming it and
// where it points (ErrOutside), or, with SkipOutside, left out. FIFOs,
// sockets and devices inside a tree are left out; the path itself being
// one is an error. Without a Root (a path the step names anywhere, as an
// artifact's custom path) the path itself is followed where it leads, and
// no link inside its tree is.
type Output struct {
	Root  *Root
	Owner *uint32
	// SkipOutside leaves links out of the root out of a tree instead of
	// failing (listing what may be served).
	SkipOutside bool
}

// maxHops bounds the absolute links followed from one path, as the kernel
// bounds links (ELOOP).
const maxHops = 40

// WalkFunc receives one regular file of an output: its slash-separated
// path relative to the output ("" when the output is that file) and the
// file, open for reading (Walk closes it when fn returns).
type WalkFunc func(rel string, f *os.File) error

// Walk calls fn for every regular file of the output at p, in lexical
// order, and stops at the first error. A p that does not exist is an error
// wrapping fs.ErrNotExist.
func (o Output) Walk(p string, fn WalkFunc) error {
	f, at, err := o.open(p, "", false)
	if err != nil {
		return err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	switch {
	case info.Mode().IsRegular():
		return o.file(p, "", f, info, fn)
	case info.IsDir():
		return o.dir(p, "", at, f, fn)
	}
	f.Close()
	return fmt.Errorf("%s is not a regular file or a directory (%s)", p, info.Mode().Type())
}

// Files is Walk of p as a value: what artifact.Store.PutFiles reads.
func (o Output) Files(p string) func(fn func(rel string, f *os.File) error) error {
	return func(fn func(rel string, f *os.File) error) error { return o.Walk(p, fn) }
}

// file hands one regular file to fn, checking its owner.
func (o Output) file(p, rel string, f *os.File, info fs.FileInfo, fn WalkFunc) error {
	defer f.Close()
	if o.Owner != nil {
		if st, ok := info.Sys().(*syscall.Stat_t); !ok || st.Uid != *o.Owner {
			return fmt.Errorf("%s is %w (steps run as uid %d)", p, ErrNotOwned, *o.Owner)
		}
	}
	return fn(rel, f)
}

// dir walks the directory f (p, at the root-relative path at), whose
// files are rel/<name>.
func (o Output) dir(p, rel, at string, f *os.File, fn WalkFunc) error {
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("read directory %s: %w", p, err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		cp, crel := filepath.Join(p, e.Name()), path.Join(rel, e.Name())
		var cat string
		if at != "" {
			cat = filepath.Join(at, e.Name())
		}
		t := e.Type()
		switch {
		case t&fs.ModeSymlink != 0 && o.Root == nil:
			continue // a tree the step names anywhere: no link in it is followed
		case t&fs.ModeSymlink == 0 && !t.IsDir() && !t.IsRegular():
			continue // FIFOs, sockets, devices are not artifacts
		}
		cf, cat, err := o.open(cp, cat, true)
		if errors.Is(err, fs.ErrNotExist) {
			continue // gone, or a link that leads nowhere
		}
		if errors.Is(err, ErrOutside) && o.SkipOutside {
			continue
		}
		if err != nil {
			return err
		}
		info, err := cf.Stat()
		if err != nil {
			cf.Close()
			return err
		}
		switch {
		case info.Mode().IsRegular():
			err = o.file(cp, crel, cf, info, fn)
		case info.IsDir() && t&fs.ModeSymlink == 0:
			err = o.dir(cp, crel, cat, cf, fn)
		default:
			cf.Close() // a link to a directory, or a file that changed type
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// open opens p for reading without blocking: through the root when there
// is one (at is p relative to it, "" to compute it; Root.openIn); else as
// it is, without following a link when p is an entry of a tree. It
// returns the file and where it is relative to the root.
func (o Output) open(p, at string, entry bool) (*os.File, string, error) {
	if o.Root == nil {
		flags := os.O_RDONLY | syscall.O_NONBLOCK
		if entry {
			flags |= syscall.O_NOFOLLOW
		}
		f, err := os.OpenFile(p, flags, 0)
		if entry && errors.Is(err, syscall.ELOOP) {
			return nil, "", fs.ErrNotExist // swapped for a link: not followed
		}
		return f, "", err
	}
	r := o.Root
	if at == "" {
		rel, err := r.rel(p)
		if err != nil {
			return nil, "", err
		}
		at = rel
	}
	return r.openIn(p, at)
}

// openIn opens at (p relative to the root) for reading without blocking.
// os.Root follows relative links inside it and refuses every absolute
// one: an absolute link naming a path inside the root is followed as the
// relative link it could have been, one naming a path outside is an error
// wrapping ErrOutside. It returns the file and where it is.
func (r *Root) openIn(p, at string) (*os.File, string, error) {
	for hops := 0; ; hops++ {
		f, err := r.r.OpenFile(at, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			return f, at, nil
		}
		if !isEscape(err) || hops == maxHops {
			return nil, "", r.openError(p, at, err)
		}
		target, lerr := r.r.Readlink(at)
		if lerr != nil || !filepath.IsAbs(target) {
			return nil, "", r.openError(p, at, err)
		}
		rel, werr := within(r.dir, target)
		if werr != nil {
			return nil, "", fmt.Errorf("%s is a link out of %s (to %s): %w", p, r.dir, target, ErrOutside)
		}
		at = rel
	}
}

// openError is the error of opening p (at, relative to the root): one
// wrapping fs.ErrNotExist when nothing is there, one wrapping ErrOutside
// that says where the link leads when a link leads out of the root.
func (r *Root) openError(p, at string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%s: %w", p, fs.ErrNotExist)
	case isEscape(err):
		if target, lerr := r.r.Readlink(at); lerr == nil {
			return fmt.Errorf("%s is a link out of %s (to %s): %w", p, r.dir, target, ErrOutside)
		}
		return fmt.Errorf("%s leads out of %s through a link: %w", p, r.dir, ErrOutside)
	}
	return fmt.Errorf("open %s: %w", p, err)
}

// isEscape reports os.Root's refusal of a path that leaves it (a link out,
// or an absolute link), which the os package does not export.
func isEscape(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if err.Error() == "path escapes from parent" {
			return true
		}
	}
	return false
}
