package launcher

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/sluicehq/sluice/rundir"
)

// copyTree copies a file or a directory tree from src (anywhere) to dst,
// replacing dst, which must lie in root: what is removed and written goes
// through the run's root, never outside it. src is a path the step named
// (an artifact's custom path), so only regular files and directories are
// copied (a FIFO would block the copy forever, /dev/zero never end it), and
// when owner is set (steps run as --step-user) only files that user owns:
// the server must not copy, for a step, a file the step could not read.
func copyTree(root *rundir.Root, src, dst string, owner *uint32) error {
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !info.IsDir() && !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file or a directory (%s)", src, info.Mode().Type())
	}
	if err := root.RemoveAll(dst); err != nil {
		return err
	}
	if !info.IsDir() {
		return copyFile(root, src, dst, owner)
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return root.MkdirAll(target)
		case d.Type().IsRegular():
			return copyFile(root, p, target, owner)
		}
		return nil // sockets, devices and symlinks are not artifacts
	})
}

func copyFile(root *rundir.Root, src, dst string, owner *uint32) error {
	in, err := rundir.OpenRegular(src)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	if st, ok := info.Sys().(*syscall.Stat_t); owner != nil && (!ok || st.Uid != *owner) {
		return fmt.Errorf("%s is not the step's own file (steps run as uid %d): it is not copied", src, *owner)
	}
	out, err := root.Create(dst, info.Mode().Perm()|0o200)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
