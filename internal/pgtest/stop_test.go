package pgtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// Every test package that starts the shared PostgreSQL server (DSN) stops
// it from its TestMain: the server is a process of its own, and a package
// that forgot left one running after every `go test`.
func TestEveryUserStopsTheServer(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	uses := regexp.MustCompile(`\bpgtest\.DSN\(`)
	stops := regexp.MustCompile(`\bpgtest\.Stop\(\)|\bstopPostgres\(\)`)
	using, stopping := map[string]bool{}, map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || filepath.Ext(path) != ".go" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		using[dir] = using[dir] || uses.Match(b)
		stopping[dir] = stopping[dir] || stops.Match(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for dir, u := range using {
		if !u {
			continue
		}
		n++
		if !stopping[dir] {
			rel, _ := filepath.Rel(root, dir)
			t.Errorf("package %s uses pgtest.DSN but never calls pgtest.Stop (from a TestMain): it leaves a PostgreSQL server running", rel)
		}
	}
	if n == 0 {
		t.Fatal("found no user of pgtest.DSN: is the walk at the module's root?")
	}
}
