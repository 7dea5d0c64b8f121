package rundir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLayout(t *testing.T) {
	r := Local("/data/artifacts", "tutorial", "run-1")
	task := r.Task("for-loop-2/0/double")
	for got, want := range map[string]string{
		r.Root:                    "/data/artifacts/tutorial/run-1",
		r.Workspace():             "/data/artifacts/tutorial/run-1/.sluice/workspace",
		task.Artifact("out"):      "/data/artifacts/tutorial/run-1/for-loop-2/0/double/out",
		task.ExecutorOutput():     "/data/artifacts/tutorial/run-1/for-loop-2/0/double/executor_output.json",
		task.Log():                "/data/artifacts/tutorial/run-1/.sluice/tasks/for-loop-2/0/double/log.txt",
		task.OutputParam("total"): "/data/artifacts/tutorial/run-1/.sluice/tasks/for-loop-2/0/double/outputs/total",
		task.Work():               "/data/artifacts/tutorial/run-1/.sluice/tasks/for-loop-2/0/double/work",
	} {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	if !r.TaskURI("t").IsZero() || r.Scratch != "" {
		t.Errorf("a local run has a bucket: %+v", r)
	}

	b := Bucket("s3://bucket/prefix", "/data/scratch", "tutorial", "run-1")
	uri := b.TaskURI("save")
	for got, want := range map[string]string{
		b.URI:                                  "s3://bucket/prefix/tutorial/run-1",
		b.Scratch:                              "/data/scratch/run-1",
		b.Root:                                 "/data/scratch/run-1/s3/bucket/prefix/tutorial/run-1",
		b.Task("save").Log():                   "/data/scratch/run-1/s3/bucket/prefix/tutorial/run-1/.sluice/tasks/save/log.txt",
		uri.Artifact("result"):                 "s3://bucket/prefix/tutorial/run-1/save/result",
		uri.Log():                              "s3://bucket/prefix/tutorial/run-1/.sluice/tasks/save/log.txt",
		uri.OutputsRecord():                    "s3://bucket/prefix/tutorial/run-1/.sluice/tasks/save/outputs.json",
		uri.Mounted().Log():                    "/s3/bucket/prefix/tutorial/run-1/.sluice/tasks/save/log.txt",
		uri.Mounted().Dir:                      "/s3/bucket/prefix/tutorial/run-1/save",
		AtMetaURI("s3://b/m").Mounted().Work(): "/s3/b/m/work",
		AtMetaURI("s3://b/m").OutputsRecord():  "s3://b/m/outputs.json",
	} {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

// Names that are not ordinary are mapped to one safe segment each; the
// paths of a run with such a pipeline name, run id, task path, artifact,
// parameter and raw input names stay under the run's directory.
func TestHostileNamesStayInTheRun(t *testing.T) {
	long := strings.Repeat("x", 5000)
	for _, name := range []string{
		"../../../sluice.db", strings.Repeat("../", 40), "/etc/passwd", "/", ".", "..", "",
		"a\x00b", long, "训练/../..", "-rf", ".sluice", "a/b", `..\..\x`, "~", "$HOME",
	} {
		seg := Segment(name)
		if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, "/\\\x00") || len(seg) > MaxSegment || !ordinary().MatchString(seg) {
			t.Errorf("Segment(%q) = %q: not one ordinary segment", name, seg)
		}
		if Segment(seg) != seg {
			t.Errorf("Segment(%q) = %q is mapped again to %q", name, seg, Segment(seg))
		}
		r := Local("/data/artifacts", name, name)
		task := r.Task(name + "/" + name)
		for _, p := range []string{r.Root, r.Workspace(), task.Dir, task.Meta, task.Artifact(name), task.OutputParam(name),
			task.RawInput(name), task.Log(), task.Work(), task.ExecutorOutput()} {
			if !strings.HasPrefix(p, "/data/artifacts/") || strings.Contains(p, "/../") || filepath.Clean(p) != p {
				t.Errorf("name %q: path %q leaves the pipeline root", name, p)
			}
			if !strings.HasPrefix(p, r.Root+"/") && p != r.Root {
				t.Errorf("name %q: path %q leaves the run %q", name, p, r.Root)
			}
		}
		b := Bucket("s3://bucket/prefix", "/data/scratch", name, name)
		bt := b.Task(name)
		for _, p := range []string{b.Root, bt.Dir, bt.Meta, bt.Artifact(name)} {
			if !strings.HasPrefix(p, b.Scratch+"/") || !strings.HasPrefix(b.Scratch, "/data/scratch/") {
				t.Errorf("name %q: bucket path %q leaves the scratch %q", name, p, b.Scratch)
			}
		}
		if u := b.TaskURI(name).Artifact(name); !strings.HasPrefix(u, "s3://bucket/prefix/") || strings.Contains(u, "/../") || strings.Contains(u, "/./") {
			t.Errorf("name %q: bucket URI %q leaves the prefix", name, u)
		}
	}
	// Ordinary names keep the layout; different names never share a
	// directory.
	for _, name := range []string{"tutorial", "for-loop-2", "0", "train_model", "Output", "model.pkl", "a-" + Segment("../a")[2:]} {
		if Segment(name) != name {
			t.Errorf("ordinary name %q mapped to %q", name, Segment(name))
		}
	}
	if Segment("../a") == Segment("/a") || Segment("a b") == Segment("a-b") || Segment(long) == Segment(long+"y") {
		t.Error("two names share a segment")
	}
	if got := Segment("../../../sluice.db"); got != "sluice-db-98d032520d3b" {
		t.Errorf("Segment = %q", got)
	}
}

// A link a step planted in its run's directory does not make the run's
// root create, write or delete anything outside it.
func TestRootDoesNotFollowLinksOut(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(dir, "outside")
	if err := os.MkdirAll(filepath.Join(outside, "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := Local(filepath.Join(dir, "root"), "p", "run")
	if err := r.Create(); err != nil {
		t.Fatal(err)
	}
	// The step made its task directory's parent a link to outside.
	if err := os.Symlink(outside, filepath.Join(r.Root, "loop")); err != nil {
		t.Fatal(err)
	}
	task := r.Task("loop/keep")
	root, err := task.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if err := root.RemoveAll(task.Dir); err == nil {
		t.Error("RemoveAll through a link out of the run succeeded")
	}
	if err := root.MkdirAll(filepath.Join(task.Dir, "new")); err == nil {
		t.Error("MkdirAll through a link out of the run succeeded")
	}
	if err := root.WriteFile(task.Artifact("x"), []byte("x")); err == nil {
		t.Error("WriteFile through a link out of the run succeeded")
	}
	for _, p := range []string{"/etc/passwd", r.Root + "/../../x", filepath.Dir(r.Root)} {
		if err := root.RemoveAll(p); !errors.Is(err, ErrOutside) {
			t.Errorf("RemoveAll(%s) = %v, want ErrOutside", p, err)
		}
	}
	if err := root.RemoveAll(r.Root); !errors.Is(err, ErrOutside) {
		t.Errorf("RemoveAll of the root itself = %v", err)
	}
	entries, _ := os.ReadDir(outside)
	if len(entries) != 1 || entries[0].Name() != "keep" {
		t.Fatalf("outside changed: %v", entries)
	}
	// A link inside the run is fine.
	if err := os.Symlink("work", filepath.Join(r.Root, "alias")); err != nil {
		t.Fatal(err)
	}
	if err := root.MkdirAll(filepath.Join(r.Root, "alias", "sub")); err != nil {
		t.Fatalf("a link inside the run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(r.Root, "work", "sub")); err != nil {
		t.Fatal(err)
	}
}

// No name, task path or URI path ever leads out of its root.
func FuzzPaths(f *testing.F) {
	for _, s := range []string{"tutorial", "../../../sluice.db", "/etc", "a/../../b", "\x00", "训练", strings.Repeat("../", 50), "for-loop-2/0/x"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, name, id string) {
		seg := Segment(name)
		if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, "/\x00") || len(seg) > MaxSegment {
			t.Fatalf("Segment(%q) = %q", name, seg)
		}
		r := Local("/root", name, id)
		task := r.Task(id)
		for _, p := range []string{r.Root, task.Dir, task.Meta, task.Artifact(name), task.OutputParam(name), task.RawInput(name)} {
			if _, err := within(r.Root, p); err != nil || filepath.Clean(p) != p {
				t.Fatalf("name %q id %q: %q leaves %q", name, id, p, r.Root)
			}
			if _, err := within("/root", p); err != nil {
				t.Fatalf("name %q id %q: %q leaves the pipeline root", name, id, p)
			}
		}
		if p := Under("/scratch", id); !strings.HasPrefix(p+"/", "/scratch/") {
			t.Fatalf("Under(/scratch, %q) = %q", id, p)
		}
	})
}
