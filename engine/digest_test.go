package engine_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/spec"
)

// The cache digests an input artifact under the pipeline root as a step's
// output: a link inside the root as the file it leads to, a link out of
// it and a FIFO by their URI (never read through, never blocking), a
// directory by its own files only.
func TestArtifactDigestStaysInTheRoot(t *testing.T) {
	dir := t.TempDir()
	pr := filepath.Join(dir, "root")
	write := func(p, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "secret"), "the server's secret")
	write(filepath.Join(dir, "other-secret"), "another secret")
	write(filepath.Join(pr, "p", "r", "a", "data"), "data")
	link := func(target, p string) {
		t.Helper()
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	link(filepath.Join(pr, "p", "r", "a", "data"), filepath.Join(pr, "p", "r", "a", "abs"))
	link(filepath.Join(dir, "secret"), filepath.Join(pr, "p", "r", "a", "out"))
	if err := syscall.Mkfifo(filepath.Join(pr, "p", "r", "a", "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := rundir.OpenRoot(pr)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	digest := func(name string) string {
		t.Helper()
		done := make(chan string, 1)
		go func() {
			done <- engine.ArtifactDigest(&spec.RuntimeArtifact{URI: filepath.Join(pr, "p", "r", "a", name)}, root)
		}()
		select {
		case d := <-done:
			return d
		case <-time.After(time.Minute):
			t.Fatalf("digesting %s blocked", name)
			return ""
		}
	}
	if digest("abs") != digest("data") {
		t.Error("a link inside the root is not digested as its file")
	}
	before := digest("out")
	write(filepath.Join(dir, "secret"), "the secret changed")
	if digest("out") != before {
		t.Error("a link out of the root was read through")
	}
	if digest("fifo") == "" {
		t.Error("no digest for a FIFO")
	}
	// A directory artifact holding a link out: digested by its URI too.
	tree := filepath.Join(pr, "p", "r", "tree")
	write(filepath.Join(tree, "x"), "x")
	link(filepath.Join(dir, "other-secret"), filepath.Join(tree, "leak"))
	d1 := engine.ArtifactDigest(&spec.RuntimeArtifact{URI: tree}, root)
	write(filepath.Join(dir, "other-secret"), "changed")
	if engine.ArtifactDigest(&spec.RuntimeArtifact{URI: tree}, root) != d1 {
		t.Error("a link out in a directory artifact was read through")
	}
}
