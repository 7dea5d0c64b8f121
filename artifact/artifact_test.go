package artifact_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/artifact/artifacttest"
)

func openStore(t *testing.T, rawURL string) artifact.Store {
	t.Helper()
	s, err := artifact.Open(t.Context(), rawURL)
	if err != nil {
		t.Fatalf("Open(%q): %v", rawURL, err)
	}
	return s
}

func TestDirStoreConformance(t *testing.T) {
	artifacttest.Run(t, func(t *testing.T) artifact.Store {
		return openStore(t, filepath.Join(t.TempDir(), "root"))
	})
}

func TestFileURLConformance(t *testing.T) {
	artifacttest.Run(t, func(t *testing.T) artifact.Store {
		return openStore(t, "file://"+filepath.ToSlash(t.TempDir()))
	})
}

func TestMemConformance(t *testing.T) {
	artifacttest.Run(t, func(t *testing.T) artifact.Store {
		return openStore(t, "mem://")
	})
}

func TestMemPrefixedConformance(t *testing.T) {
	artifacttest.Run(t, func(t *testing.T) artifact.Store {
		return openStore(t, "mem://bucket/some/prefix")
	})
}

func TestOpenRejects(t *testing.T) {
	t.Setenv(artifact.MinioEndpointEnv, "")
	for _, u := range []string{"", "ftp://host/x", "file://otherhost/x", "s3://bucket/a/../b", "mem://b/a//c", "file:///dev/null/x", "minio://b/x", "s3://b/x?bad=1"} {
		if s, err := artifact.Open(t.Context(), u); err == nil {
			s.Close()
			t.Errorf("Open(%q) = nil error", u)
		} else if s != nil {
			t.Errorf("Open(%q) failed with a non-nil Store (%T)", u, s)
		}
	}
}

func TestDirStoreLayout(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, root)
	defer s.Close()

	// Objects are plain files; URIs are absolute paths; KeyOf accepts both
	// paths and file:// URLs.
	uri := s.URI("runs/r1/out.txt")
	if want := filepath.Join(root, "runs", "r1", "out.txt"); uri != want {
		t.Fatalf("URI = %q, want %q", uri, want)
	}
	src := filepath.Join(t.TempDir(), "f")
	os.WriteFile(src, []byte("x"), 0o644)
	if err := s.Put(t.Context(), src, "runs/r1/out.txt"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(uri); err != nil || string(b) != "x" {
		t.Fatalf("file at URI: %q, %v", b, err)
	}
	for _, u := range []string{uri, "file://" + filepath.ToSlash(uri)} {
		if k, ok := artifact.KeyOf(s, u); !ok || k != "runs/r1/out.txt" {
			t.Errorf("KeyOf(%q) = %q, %v", u, k, ok)
		}
	}

	// Putting the file at its own URI (a step that wrote its output in
	// place) is a no-op, and overlapping trees are refused.
	if err := s.Put(t.Context(), uri, "runs/r1/out.txt"); err != nil {
		t.Errorf("Put onto itself: %v", err)
	}
	if err := s.Put(t.Context(), filepath.Join(root, "runs"), "runs/r1/copy"); err == nil {
		t.Error("Put of a tree into itself = nil error")
	}
	if b, _ := os.ReadFile(uri); string(b) != "x" {
		t.Errorf("self-Put changed content to %q", b)
	}
}

func TestDirStoreKeysCannotEscape(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	s := openStore(t, root)
	defer s.Close()
	src := filepath.Join(t.TempDir(), "f")
	os.WriteFile(src, []byte("x"), 0o644)
	for _, key := range []string{"../escaped", "a/../../escaped", "/escaped", filepath.Join(parent, "escaped")} {
		if err := s.Put(t.Context(), src, key); !errors.Is(err, artifact.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", key, err)
		}
		if w, err := s.Create(t.Context(), key); !errors.Is(err, artifact.ErrInvalidKey) {
			if w != nil {
				w.Close()
			}
			t.Errorf("Create(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Errorf("files appeared beside the root: %v", entries)
	}
	if _, ok := artifact.KeyOf(s, filepath.Join(parent, "escaped")); ok {
		t.Error("KeyOf accepted a path outside the root")
	}
}

func TestDirStoreCreateIsTailable(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	w, err := s.Create(t.Context(), "logs/t.log")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("partial\n"))
	r, err := s.Open(t.Context(), "logs/t.log")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := r.Read(buf)
	r.Close()
	if got := string(buf[:n]); got != "partial\n" {
		t.Errorf("tail before Close = %q", got)
	}
	w.Close()
}

func TestBucketURIs(t *testing.T) {
	s := openStore(t, "mem://bkt/pre/fix")
	defer s.Close()
	if got, want := s.URI("a/b"), "mem://bkt/pre/fix/a/b"; got != want {
		t.Errorf("URI = %q, want %q", got, want)
	}
	if k, ok := artifact.KeyOf(s, "mem://bkt/pre/fix/a/b"); !ok || k != "a/b" {
		t.Errorf("KeyOf = %q, %v", k, ok)
	}
	if _, ok := artifact.KeyOf(s, "mem://bkt/pre/fixa/b"); ok {
		t.Error("KeyOf accepted a sibling prefix")
	}
	if !strings.HasPrefix(s.URI(""), "mem://bkt/pre/fix") {
		t.Errorf("URI(\"\") = %q", s.URI(""))
	}
}

func TestIsBucketURI(t *testing.T) {
	for uri, want := range map[string]bool{
		"s3://b/k": true, "gs://b/k": true, "azblob://c/k": true, "minio://b/k": true,
		"/tmp/x": false, "file:///tmp/x": false, "relative": false, "": false,
	} {
		if got := artifact.IsBucketURI(uri); got != want {
			t.Errorf("IsBucketURI(%q) = %v, want %v", uri, got, want)
		}
	}
}
