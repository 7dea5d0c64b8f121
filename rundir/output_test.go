package rundir

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// walk collects what an output reads: rel → content.
func walk(t *testing.T, o Output, p string) (map[string]string, error) {
	t.Helper()
	got := map[string]string{}
	done := make(chan error, 1)
	go func() {
		done <- o.Walk(p, func(rel string, f *os.File) error {
			b, err := io.ReadAll(f)
			got[rel] = string(b)
			return err
		})
	}()
	select {
	case err := <-done:
		return got, err
	case <-time.After(time.Minute):
		t.Fatal("walking the output blocked")
		return nil, nil
	}
}

func write(t *testing.T, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, p string) {
	t.Helper()
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

// A step's output tree is read as regular files and directories: links
// inside the run's directory (relative or absolute) are read as their
// files, a link to a directory, a dangling link and a FIFO are left out,
// and a link out of the run's directory fails the walk naming the link and
// where it points, without reading a byte through it.
func TestOutputWalkStaysInTheRoot(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	write(t, secret, "the server's secret")
	r := Local(filepath.Join(dir, "root"), "p", "run")
	if err := r.Create(); err != nil {
		t.Fatal(err)
	}
	task := r.Task("t")
	other := r.Task("other").Artifact("model")
	write(t, other, "another task's model")
	art := task.Artifact("a")
	write(t, filepath.Join(art, "x.txt"), "x")
	write(t, filepath.Join(art, "sub", "y.txt"), "y")
	symlink(t, "x.txt", filepath.Join(art, "rel-link"))
	symlink(t, other, filepath.Join(art, "abs-link"))
	symlink(t, filepath.Join(r.Root, "other"), filepath.Join(art, "dir-link"))
	symlink(t, "nowhere", filepath.Join(art, "dangling"))
	if err := syscall.Mkfifo(filepath.Join(art, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := task.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()

	got, err := walk(t, Output{Root: root}, art)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"x.txt": "x", "sub/y.txt": "y", "rel-link": "x", "abs-link": "another task's model"}
	if len(got) != len(want) {
		t.Fatalf("read %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}

	// One link out, absolute or relative, fails the walk naming it.
	for _, target := range []string{secret, "../../../../../../secret"} {
		link := filepath.Join(art, "sub", "out")
		os.Remove(link)
		symlink(t, target, link)
		got, err := walk(t, Output{Root: root}, art)
		if !errors.Is(err, ErrOutside) || !strings.Contains(err.Error(), link) || !strings.Contains(err.Error(), target) {
			t.Errorf("a link out to %s: %v", target, err)
		}
		for _, v := range got {
			if strings.Contains(v, "secret") {
				t.Errorf("read through a link out: %v", got)
			}
		}
		// Listing what may be served leaves it out.
		got, err = walk(t, Output{Root: root, SkipOutside: true}, art)
		if err != nil || len(got) != len(want) {
			t.Errorf("SkipOutside: %v, %v", got, err)
		}
	}

	// The output itself.
	file := task.Artifact("f")
	write(t, file, "f")
	if got, err := walk(t, Output{Root: root}, file); err != nil || got[""] != "f" || len(got) != 1 {
		t.Errorf("a file: %v, %v", got, err)
	}
	linked := task.Artifact("linked")
	symlink(t, other, linked)
	if got, err := walk(t, Output{Root: root}, linked); err != nil || got[""] != "another task's model" {
		t.Errorf("a link inside the run: %v, %v", got, err)
	}
	out := task.Artifact("out")
	symlink(t, secret, out)
	if got, err := walk(t, Output{Root: root}, out); !errors.Is(err, ErrOutside) || len(got) != 0 {
		t.Errorf("a link out of the run: %v, %v", got, err)
	}
	fifo := task.Artifact("fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := walk(t, Output{Root: root}, fifo); err == nil || !strings.Contains(err.Error(), "not a regular file or a directory") {
		t.Errorf("a FIFO: %v", err)
	}
	if _, err := walk(t, Output{Root: root}, task.Artifact("none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("nothing there: %v", err)
	}
	if _, err := walk(t, Output{Root: root}, "/etc/passwd"); !errors.Is(err, ErrOutside) {
		t.Errorf("a path outside the root: %v", err)
	}
	// The task's directory replaced by a link out.
	if err := os.RemoveAll(task.Dir); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "elsewhere", "a"), "the server's secret")
	symlink(t, filepath.Join(dir, "elsewhere"), task.Dir)
	if got, err := walk(t, Output{Root: root}, task.Artifact("a")); !errors.Is(err, ErrOutside) || len(got) != 0 {
		t.Errorf("a directory on the way a link out: %v, %v", got, err)
	}
}

// With Owner set, a file the step's user does not own is not read.
func TestOutputWalkOwner(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a", "x"), "x")
	root, err := OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	me, other := uint32(os.Getuid()), uint32(os.Getuid()+1)
	if got, err := walk(t, Output{Root: root, Owner: &me}, filepath.Join(dir, "a")); err != nil || got["x"] != "x" {
		t.Errorf("the step's own file: %v, %v", got, err)
	}
	for _, o := range []Output{{Root: root, Owner: &other}, {Owner: &other}} {
		got, err := walk(t, o, filepath.Join(dir, "a"))
		if !errors.Is(err, ErrNotOwned) || len(got) != 0 || !strings.Contains(err.Error(), "steps run as uid") {
			t.Errorf("another user's file: %v, %v", got, err)
		}
	}
}

// Without a root (a custom path, anywhere), the path itself is followed,
// and no link inside its tree is; a FIFO does not block.
func TestOutputWalkWithoutRoot(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "secret"), "s")
	write(t, filepath.Join(dir, "tree", "x"), "x")
	symlink(t, filepath.Join(dir, "secret"), filepath.Join(dir, "tree", "link"))
	if err := syscall.Mkfifo(filepath.Join(dir, "tree", "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	symlink(t, filepath.Join(dir, "tree"), filepath.Join(dir, "alias"))
	got, err := walk(t, Output{}, filepath.Join(dir, "alias"))
	if err != nil || len(got) != 1 || got["x"] != "x" {
		t.Errorf("read %v, %v", got, err)
	}
	if _, err := walk(t, Output{}, filepath.Join(dir, "tree", "fifo")); err == nil {
		t.Error("a FIFO was read")
	}
}

// OpenRootOf finds the root a path lies under, through a link to the root
// too, and refuses a path under none.
func TestOpenRootOf(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	write(t, filepath.Join(real, "run", "f"), "f")
	symlink(t, real, filepath.Join(dir, "alias"))
	for _, tc := range []struct{ root, p string }{
		{real, filepath.Join(real, "run", "f")},
		{filepath.Join(dir, "alias"), filepath.Join(real, "run", "f")},
		{real, filepath.Join(dir, "alias", "run", "f")},
	} {
		root, q, err := OpenRootOf([]string{"/nonexistent", tc.root}, tc.p)
		if err != nil {
			t.Errorf("%s under %s: %v", tc.p, tc.root, err)
			continue
		}
		f, err := root.OpenRegular(q)
		if err != nil {
			t.Errorf("%s under %s: open %s: %v", tc.p, tc.root, q, err)
		} else {
			f.Close()
		}
		root.Close()
	}
	if _, _, err := OpenRootOf([]string{real}, "/etc/passwd"); !errors.Is(err, ErrOutside) {
		t.Errorf("a path under no root: %v", err)
	}
}
