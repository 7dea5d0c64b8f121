package launcher

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sluicehq/sluice/rundir"
)

// copyTree copies a file or a directory tree from src (anywhere) to dst,
// replacing dst, which must lie in root: what is removed and written goes
// through the run's root, never outside it.
func copyTree(root *rundir.Root, src, dst string) error {
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	if err := root.RemoveAll(dst); err != nil {
		return err
	}
	if !info.IsDir() {
		return copyFile(root, src, dst, info.Mode())
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
			fi, err := d.Info()
			if err != nil {
				return err
			}
			return copyFile(root, p, target, fi.Mode())
		}
		return nil // sockets, devices and symlinks are not artifacts
	})
}

func copyFile(root *rundir.Root, src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := root.Create(dst, mode.Perm()|0o200)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
