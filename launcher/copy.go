package launcher

import (
	"io"
	"os"
	"path/filepath"

	"github.com/sluicehq/sluice/rundir"
)

// copyTree copies a file or a directory tree from src (anywhere) to dst,
// replacing dst, which must lie in root: what is removed and written goes
// through the run's root, never outside it. src is a path the step named
// (an artifact's custom path), read as rundir.Output reads a step's
// output without a root: only regular files and directories (a FIFO would
// block the copy forever, /dev/zero never end it), no link inside the
// tree, and when owner is set (steps run as --step-user) only files that
// user owns: the server must not copy, for a step, a file the step could
// not read. dst is replaced once the first file is read (or at the end,
// for a tree without files), not when src cannot be read at all.
func copyTree(root *rundir.Root, src, dst string, owner *uint32) error {
	replaced := false
	replace := func() error {
		if replaced {
			return nil
		}
		replaced = true
		return root.RemoveAll(dst)
	}
	err := rundir.Output{Owner: owner}.Walk(src, func(rel string, in *os.File) error {
		if err := replace(); err != nil {
			return err
		}
		info, err := in.Stat()
		if err != nil {
			return err
		}
		out, err := root.Create(filepath.Join(dst, filepath.FromSlash(rel)), info.Mode().Perm()|0o200)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil || replaced {
		return err
	}
	if err := replace(); err != nil {
		return err
	}
	return root.MkdirAll(dst) // a directory without files
}
