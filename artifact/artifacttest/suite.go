// Package artifacttest is the conformance suite every artifact.Store passes.
// A new backend is accepted when Run passes against it.
package artifacttest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/artifact"
)

// Run runs the conformance suite. open returns a fresh, empty store for each
// subtest; Run closes it when the subtest ends.
func Run(t *testing.T, open func(t *testing.T) artifact.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s artifact.Store)
	}{
		{"File", testFile},
		{"EmptyFile", testEmptyFile},
		{"Binary", testBinary},
		{"Tree", testTree},
		{"Large", testLarge},
		{"Overwrite", testOverwrite},
		{"Create", testCreate},
		{"NotFound", testNotFound},
		{"OpenAt", testOpenAt},
		{"List", testList},
		{"Delete", testDelete},
		{"InvalidKeys", testInvalidKeys},
		{"KeyOf", testKeyOf},
		{"ConcurrentPuts", testConcurrentPuts},
		{"PutReadsOnlyFiles", testPutReadsOnlyFiles},
		{"PutFiles", testPutFiles},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

// testOpenAt: reading from an offset gives the rest of the object, through
// the store's own OpenAt (every store is a RangeOpener) and artifact.OpenAt.
func testOpenAt(t *testing.T, s artifact.Store) {
	if _, ok := s.(artifact.RangeOpener); !ok {
		t.Fatalf("%T is not an artifact.RangeOpener", s)
	}
	data := bytes.Repeat([]byte("0123456789"), 1000)
	putBytes(t, s, "logs/a.txt", data)
	for _, off := range []int64{0, 1, 9999, 10000, 10001} {
		r, err := artifact.OpenAt(ctx(t), s, "logs/a.txt", off)
		if err != nil {
			t.Fatalf("OpenAt(%d): %v", off, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
		want := data[min(off, int64(len(data))):]
		if !bytes.Equal(got, want) {
			t.Errorf("OpenAt(%d): %d bytes, want %d", off, len(got), len(want))
		}
	}
	if _, err := artifact.OpenAt(ctx(t), s, "logs/nope.txt", 5); !errors.Is(err, artifact.ErrNotFound) {
		t.Errorf("OpenAt of a missing key: %v, want ErrNotFound", err)
	}
	if _, err := artifact.OpenAt(ctx(t), s, "logs/a.txt", -1); err == nil {
		t.Errorf("OpenAt at a negative offset: no error")
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func put(t *testing.T, s artifact.Store, local, key string) {
	t.Helper()
	if err := s.Put(ctx(t), local, key); err != nil {
		t.Fatalf("Put(%s, %q): %v", local, key, err)
	}
}

func putBytes(t *testing.T, s artifact.Store, key string, data []byte) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, data)
	put(t, s, p, key)
}

func openBytes(t *testing.T, s artifact.Store, key string) []byte {
	t.Helper()
	r, err := s.Open(ctx(t), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return b
}

func exists(t *testing.T, s artifact.Store, key string) bool {
	t.Helper()
	ok, err := s.Exists(ctx(t), key)
	if err != nil {
		t.Fatalf("Exists(%q): %v", key, err)
	}
	return ok
}

func list(t *testing.T, s artifact.Store, prefix string) []string {
	t.Helper()
	keys, err := s.List(ctx(t), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	if keys == nil {
		keys = []string{}
	}
	return keys
}

func wantKeys(t *testing.T, s artifact.Store, prefix string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := list(t, s, prefix); !reflect.DeepEqual(got, want) {
		t.Errorf("List(%q) = %q, want %q", prefix, got, want)
	}
}

// readTree returns the regular files under dir as relpath → content.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		m[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func testFile(t *testing.T, s artifact.Store) {
	data := []byte("hello, artifact\n")
	putBytes(t, s, "runs/r1/task/out", data)
	if got := openBytes(t, s, "runs/r1/task/out"); !bytes.Equal(got, data) {
		t.Errorf("Open = %q, want %q", got, data)
	}
	dst := filepath.Join(t.TempDir(), "sub", "dir", "got")
	if err := s.Get(ctx(t), "runs/r1/task/out", dst); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got := readFile(t, dst); !bytes.Equal(got, data) {
		t.Errorf("Get wrote %q, want %q", got, data)
	}
	if !exists(t, s, "runs/r1/task/out") {
		t.Error("Exists(object) = false")
	}
	if !exists(t, s, "runs/r1") {
		t.Error("Exists(parent directory) = false")
	}
	if exists(t, s, "runs/r1/task/ou") {
		t.Error("Exists(string prefix of a key) = true")
	}
	wantKeys(t, s, "", "runs/r1/task/out")
	if u := s.URI("runs/r1/task/out"); u == "" {
		t.Error("URI = \"\"")
	}
}

func testEmptyFile(t *testing.T, s artifact.Store) {
	putBytes(t, s, "empty", nil)
	if got := openBytes(t, s, "empty"); len(got) != 0 {
		t.Errorf("Open(empty) = %q", got)
	}
	dst := filepath.Join(t.TempDir(), "empty")
	if err := s.Get(ctx(t), "empty", dst); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Size() != 0 || !fi.Mode().IsRegular() {
		t.Errorf("Get(empty) = %v, %v; want an empty file", fi, err)
	}
	if !exists(t, s, "empty") {
		t.Error("Exists(empty object) = false")
	}
}

func testBinary(t *testing.T, s artifact.Store) {
	data := make([]byte, 0, 4096)
	for i := 0; i < 4096; i++ {
		data = append(data, byte(i*7))
	}
	data = append(data, 0, 0xff, '\r', '\n', 0)
	putBytes(t, s, "bin/blob.bin", data)
	if got := openBytes(t, s, "bin/blob.bin"); !bytes.Equal(got, data) {
		t.Errorf("binary content changed: %d bytes, want %d", len(got), len(data))
	}
}

func testTree(t *testing.T, s artifact.Store) {
	src := t.TempDir()
	tree := map[string]string{
		"a.txt":           "A",
		"empty":           "",
		"sub/b.txt":       "B",
		"sub/deep/c.json": `{"c": 3}`,
		"sub/deep/d d":    "space in name",
		"x/y/z/w/v.bin":   "\x00\x01\x02",
	}
	for rel, content := range tree {
		writeFile(t, filepath.Join(src, filepath.FromSlash(rel)), []byte(content))
	}
	put(t, s, src, "out/model")
	var want []string
	for rel := range tree {
		want = append(want, "out/model/"+rel)
	}
	sort.Strings(want)
	wantKeys(t, s, "out/model", want...)
	wantKeys(t, s, "out", want...)
	if !exists(t, s, "out/model") || !exists(t, s, "out/model/sub/deep") {
		t.Error("Exists(directory) = false")
	}
	if _, err := s.Open(ctx(t), "out/model"); !errors.Is(err, artifact.ErrNotFound) {
		t.Errorf("Open(directory) error = %v, want ErrNotFound", err)
	}
	if got := openBytes(t, s, "out/model/sub/deep/c.json"); string(got) != tree["sub/deep/c.json"] {
		t.Errorf("Open(file in tree) = %q", got)
	}

	dst := filepath.Join(t.TempDir(), "model")
	if err := s.Get(ctx(t), "out/model", dst); err != nil {
		t.Fatalf("Get(tree): %v", err)
	}
	if got := readTree(t, dst); !reflect.DeepEqual(got, tree) {
		t.Errorf("Get(tree) = %q, want %q", got, tree)
	}
	sub := filepath.Join(t.TempDir(), "deep")
	if err := s.Get(ctx(t), "out/model/sub/deep", sub); err != nil {
		t.Fatalf("Get(subtree): %v", err)
	}
	wantSub := map[string]string{"c.json": tree["sub/deep/c.json"], "d d": tree["sub/deep/d d"]}
	if got := readTree(t, sub); !reflect.DeepEqual(got, wantSub) {
		t.Errorf("Get(subtree) = %q, want %q", got, wantSub)
	}
}

func testLarge(t *testing.T, s artifact.Store) {
	const size = 10<<20 + 12345
	p := filepath.Join(t.TempDir(), "large")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.New(rand.NewSource(42)), size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%x", h.Sum(nil))
	put(t, s, p, "big/large.bin")

	r, err := s.Open(ctx(t), "big/large.bin")
	if err != nil {
		t.Fatal(err)
	}
	h.Reset()
	n, err := io.Copy(h, r)
	r.Close()
	if err != nil || n != size || fmt.Sprintf("%x", h.Sum(nil)) != want {
		t.Errorf("Open(large): %d bytes, err %v, hash match %v", n, err, fmt.Sprintf("%x", h.Sum(nil)) == want)
	}
	dst := filepath.Join(t.TempDir(), "large")
	if err := s.Get(ctx(t), "big/large.bin", dst); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%x", sha256.Sum256(readFile(t, dst))); got != want {
		t.Error("Get(large) content differs")
	}
}

func testOverwrite(t *testing.T, s artifact.Store) {
	putBytes(t, s, "k", []byte("first version, longer"))
	putBytes(t, s, "k", []byte("second"))
	if got := openBytes(t, s, "k"); string(got) != "second" {
		t.Errorf("after overwrite Open = %q", got)
	}

	// A tree replaced by a smaller tree: stale files disappear.
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "a"), []byte("1"))
	writeFile(t, filepath.Join(src, "b/c"), []byte("2"))
	put(t, s, src, "dir")
	src2 := t.TempDir()
	writeFile(t, filepath.Join(src2, "a"), []byte("3"))
	put(t, s, src2, "dir")
	wantKeys(t, s, "dir", "dir/a")
	if got := openBytes(t, s, "dir/a"); string(got) != "3" {
		t.Errorf("dir/a = %q", got)
	}

	// A tree replaced by a file, and back.
	putBytes(t, s, "dir", []byte("now a file"))
	wantKeys(t, s, "dir", "dir")
	if got := openBytes(t, s, "dir"); string(got) != "now a file" {
		t.Errorf("dir = %q", got)
	}
	put(t, s, src, "dir")
	wantKeys(t, s, "dir", "dir/a", "dir/b/c")

	// Create overwrites too.
	w, err := s.Create(ctx(t), "k")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "third")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := openBytes(t, s, "k"); string(got) != "third" {
		t.Errorf("after Create Open = %q", got)
	}
}

func testCreate(t *testing.T, s artifact.Store) {
	w, err := s.Create(ctx(t), "logs/run/task.log")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	var want bytes.Buffer
	for i := 0; i < 1000; i++ {
		line := fmt.Sprintf("line %d: %s\n", i, bytes.Repeat([]byte{'x'}, i%50))
		want.WriteString(line)
		if _, err := io.WriteString(w, line); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := openBytes(t, s, "logs/run/task.log"); !bytes.Equal(got, want.Bytes()) {
		t.Errorf("log content differs: %d bytes, want %d", len(got), want.Len())
	}
	wantKeys(t, s, "logs", "logs/run/task.log")

	w, err = s.Create(ctx(t), "logs/empty.log")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := openBytes(t, s, "logs/empty.log"); len(got) != 0 {
		t.Errorf("empty log = %q", got)
	}
}

func testNotFound(t *testing.T, s artifact.Store) {
	putBytes(t, s, "present/file", []byte("x"))
	for _, key := range []string{"missing", "present/missing", "present/file/below", "presen"} {
		if _, err := s.Open(ctx(t), key); !errors.Is(err, artifact.ErrNotFound) {
			t.Errorf("Open(%q) error = %v, want ErrNotFound", key, err)
		}
		if err := s.Get(ctx(t), key, filepath.Join(t.TempDir(), "x")); !errors.Is(err, artifact.ErrNotFound) {
			t.Errorf("Get(%q) error = %v, want ErrNotFound", key, err)
		}
		if exists(t, s, key) {
			t.Errorf("Exists(%q) = true", key)
		}
		wantKeys(t, s, key)
		if err := s.Delete(ctx(t), key); err != nil {
			t.Errorf("Delete(%q) = %v, want nil", key, err)
		}
	}
	// Put from a missing local path fails and does not touch the key.
	if err := s.Put(ctx(t), filepath.Join(t.TempDir(), "nope"), "present/file"); err == nil {
		t.Error("Put(missing local path) = nil")
	}
	if got := openBytes(t, s, "present/file"); string(got) != "x" {
		t.Errorf("after failed Put: %q", got)
	}
}

func testList(t *testing.T, s artifact.Store) {
	wantKeys(t, s, "")
	for _, k := range []string{"p/a", "p/b/c", "pa/x", "p2", "q/r/s/t"} {
		putBytes(t, s, k, []byte(k))
	}
	wantKeys(t, s, "", "p/a", "p/b/c", "p2", "pa/x", "q/r/s/t")
	wantKeys(t, s, "p", "p/a", "p/b/c")
	wantKeys(t, s, "p/a", "p/a")
	wantKeys(t, s, "p/b", "p/b/c")
	wantKeys(t, s, "q/r", "q/r/s/t")
	wantKeys(t, s, "zzz")
}

func testDelete(t *testing.T, s artifact.Store) {
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "a"), []byte("1"))
	writeFile(t, filepath.Join(src, "b/c"), []byte("2"))
	put(t, s, src, "del/tree")
	putBytes(t, s, "del/file", []byte("f"))
	putBytes(t, s, "del/treex", []byte("sibling"))
	if err := s.Delete(ctx(t), "del/tree"); err != nil {
		t.Fatal(err)
	}
	if exists(t, s, "del/tree") {
		t.Error("tree exists after Delete")
	}
	wantKeys(t, s, "del", "del/file", "del/treex")
	if err := s.Delete(ctx(t), "del/file"); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, s, "del", "del/treex")
}

// InvalidKeys are keys every store must reject with artifact.ErrInvalidKey.
var InvalidKeys = []string{"", "..", "../x", "a/../../x", "a/..", "/abs", "/", "a//b", "a/", "./a", "a/./b", `a\..\b`, "a\x00b"}

func testInvalidKeys(t *testing.T, s artifact.Store) {
	src := filepath.Join(t.TempDir(), "f")
	writeFile(t, src, []byte("x"))
	dst := filepath.Join(t.TempDir(), "out")
	for _, key := range InvalidKeys {
		check := func(op string, err error) {
			t.Helper()
			if !errors.Is(err, artifact.ErrInvalidKey) {
				t.Errorf("%s(%q) error = %v, want ErrInvalidKey", op, key, err)
			}
		}
		check("Put", s.Put(ctx(t), src, key))
		check("Get", s.Get(ctx(t), key, dst))
		_, err := s.Open(ctx(t), key)
		check("Open", err)
		w, err := s.Create(ctx(t), key)
		if w != nil {
			w.Close()
		}
		check("Create", err)
		_, err = s.Exists(ctx(t), key)
		check("Exists", err)
		check("Delete", s.Delete(ctx(t), key))
		if key != "" {
			_, err = s.List(ctx(t), key)
			check("List", err)
			if u := s.URI(key); u != "" {
				t.Errorf("URI(%q) = %q, want \"\"", key, u)
			}
		}
	}
	wantKeys(t, s, "")
}

func testKeyOf(t *testing.T, s artifact.Store) {
	for _, key := range []string{"a", "runs/r1/t/out", "with space/x.txt"} {
		got, ok := artifact.KeyOf(s, s.URI(key))
		if !ok || got != key {
			t.Errorf("KeyOf(URI(%q)=%q) = %q, %v", key, s.URI(key), got, ok)
		}
	}
	root := s.URI("")
	for _, uri := range []string{"", root, root + "/", root + "/../x", root + "/a/../../x", root + "x/y", "other://bucket/a"} {
		if key, ok := artifact.KeyOf(s, uri); ok {
			t.Errorf("KeyOf(%q) = %q, true; want false", uri, key)
		}
	}
}

func testConcurrentPuts(t *testing.T, s artifact.Store) {
	const n = 16
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := 0; i < n; i++ {
		p := filepath.Join(dir, fmt.Sprint(i))
		writeFile(t, filepath.Join(p, "data"), bytes.Repeat([]byte{byte(i)}, 1000+i))
		writeFile(t, filepath.Join(p, "meta/info"), []byte(fmt.Sprint(i)))
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs <- s.Put(ctx(t), p, fmt.Sprintf("c/%d", i))
		}()
		go func() { // every goroutine also races on one shared key
			defer wg.Done()
			errs <- s.Put(ctx(t), filepath.Join(p, "data"), "shared")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Put: %v", err)
		}
	}
	for i := 0; i < n; i++ {
		got := openBytes(t, s, fmt.Sprintf("c/%d/data", i))
		if !bytes.Equal(got, bytes.Repeat([]byte{byte(i)}, 1000+i)) {
			t.Errorf("c/%d/data corrupted", i)
		}
	}
	if keys := list(t, s, "c"); len(keys) != 2*n {
		t.Errorf("List(c) has %d keys, want %d", len(keys), 2*n)
	}
	shared := openBytes(t, s, "shared")
	if len(shared) < 1000 || !bytes.Equal(shared, bytes.Repeat(shared[:1], len(shared))) {
		t.Errorf("shared object is a mix of writers (%d bytes)", len(shared))
	}
}

// testPutReadsOnlyFiles: Put uploads a tree's regular files; a link in it
// (to a file outside the tree) and a FIFO are left out, without blocking.
func testPutReadsOnlyFiles(t *testing.T, s artifact.Store) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	writeFile(t, secret, []byte("the server's secret"))
	src := filepath.Join(dir, "tree")
	writeFile(t, filepath.Join(src, "a.txt"), []byte("A"))
	if err := os.Symlink(secret, filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(src, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Put(ctx(t), src, "t") }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Put of a tree holding a FIFO blocked")
	}
	wantKeys(t, s, "t", "t/a.txt")
	go func() { done <- s.Put(ctx(t), filepath.Join(src, "fifo"), "f") }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Put of a FIFO succeeded")
		}
	case <-time.After(time.Minute):
		t.Fatal("Put of a FIFO blocked")
	}
	wantKeys(t, s, "f")
}

// testPutFiles: PutFiles uploads what its Files gives, replacing what was
// at the key only once a file comes; a path that is not a key is refused.
func testPutFiles(t *testing.T, s artifact.Store) {
	putBytes(t, s, "pf", []byte("old"))
	src := filepath.Join(t.TempDir(), "a")
	writeFile(t, src, []byte("A"))
	refused := errors.New("refused")
	fail := func(fn func(string, *os.File) error) error { return refused }
	if err := s.PutFiles(ctx(t), fail, "pf"); !errors.Is(err, refused) {
		t.Errorf("PutFiles of failing files = %v", err)
	}
	if got := openBytes(t, s, "pf"); string(got) != "old" {
		t.Errorf("after a failed PutFiles: %q", got)
	}
	give := func(rel string) artifact.Files {
		return func(fn func(string, *os.File) error) error {
			f, err := os.Open(src)
			if err != nil {
				return err
			}
			defer f.Close()
			return fn(rel, f)
		}
	}
	if err := s.PutFiles(ctx(t), give("x/y"), "pf"); err != nil {
		t.Fatalf("PutFiles: %v", err)
	}
	wantKeys(t, s, "pf", "pf/x/y")
	if got := openBytes(t, s, "pf/x/y"); string(got) != "A" {
		t.Errorf("pf/x/y = %q", got)
	}
	if err := s.PutFiles(ctx(t), give(""), "pf"); err != nil {
		t.Fatalf("PutFiles of one file: %v", err)
	}
	wantKeys(t, s, "pf", "pf")
	for _, rel := range []string{"../escape", "/abs", "a//b"} {
		if err := s.PutFiles(ctx(t), give(rel), "pf"); !errors.Is(err, artifact.ErrInvalidKey) {
			t.Errorf("PutFiles of %q = %v, want ErrInvalidKey", rel, err)
		}
	}
	wantKeys(t, s, "pf", "pf")
}

// Objects reads every object of st: its contents by key.
func Objects(t testing.TB, st artifact.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		rc, err := st.Open(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[k] = string(b)
	}
	return out
}
