package launcher

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/artifact/artifacttest"
	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/spec"
)

const secretText = "the server's secret"

// bucketStep runs script as a real local step (as user; nil: the
// server's) of a run whose artifacts live in a bucket (an in-process S3),
// declaring one output artifact a: $ART is its local copy, $OUTSIDE a
// file of the server's outside the run (0600). It returns the step's
// error and the bucket's objects (key → content).
func bucketStep(t *testing.T, user *executor.User, script string) (error, map[string]string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "sluice-upload-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755) // the step's user reaches its directories
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte(secretText), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := artifact.Open(t.Context(), artifacttest.S3(t, "outs", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	run := rundir.Bucket(st.URI("root"), filepath.Join(dir, "scratch"), "hostile", "r1")
	if err := run.Create(); err != nil {
		t.Fatal(err)
	}
	paths, uris := run.Task("t"), run.TaskURI("t")
	comp := &spec.ComponentSpec{OutputDefinitions: &spec.Interface{
		Artifacts: map[string]*spec.ArtifactSpec{"a": {ArtifactType: spec.ArtifactType{SchemaTitle: "system.Artifact"}}},
	}}
	in := &spec.ExecutorInput{Outputs: spec.ExecutorOutputs{
		Artifacts: map[string]*spec.ArtifactList{"a": {Artifacts: []*spec.RuntimeArtifact{{Name: "a", URI: uris.Artifact("a")}}}},
	}}
	s := &Step{RunID: "r1", TaskID: "t", Comp: comp, Paths: paths, URIs: uris, Store: st, Scratch: run.Scratch,
		Exec: &spec.ExecutorSpec{Container: &spec.ContainerSpec{}}}
	l := &Launcher{Executor: &local.Executor{KillGrace: 100 * time.Millisecond, User: user}}
	defer l.Close()
	env := []string{"ART=" + s.localPath(uris.Artifact("a")), "OUTSIDE=" + secret}
	p := &Prepared{Input: in, Argv: []string{"sh", "-c", script}, Env: env}
	done := make(chan error, 1)
	go func() {
		_, _, err := l.Run(context.Background(), s, p, io.Discard)
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("uploading the step's outputs did not end")
	}
	objects := map[string]string{}
	for k, v := range artifacttest.Objects(t, st) {
		objects[strings.TrimPrefix(k, "root/hostile/r1/t/")] = v
	}
	return err, objects
}

// An output artifact of a bucket run is uploaded as the step's own files:
// a link out of the run's directory (the artifact itself, or a file of a
// directory artifact) fails the step naming the artifact and the link,
// and no byte of the file it points at reaches the bucket; a FIFO fails
// it without blocking (one in a directory is left out); links inside the
// run are uploaded as the files they lead to.
func TestUploadReadsOnlyTheStepsFiles(t *testing.T) {
	for _, tc := range []struct{ name, script, want string }{
		{"artifact a link out", `ln -s "$OUTSIDE" "$ART"`, "is a link out of"},
		{"a link out in a directory", `mkdir "$ART"; echo mine > "$ART/own"; ln -s "$OUTSIDE" "$ART/leak"`, "leak is a link out of"},
		{"a relative link out", `mkdir "$ART"; ln -s ../../../../../../../../../secret "$ART/leak"`, "leak is a link out of"},
		{"artifact a FIFO", `mkfifo "$ART"`, "not a regular file or a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err, objects := bucketStep(t, nil, tc.script)
			if err == nil || !strings.Contains(err.Error(), `output artifact "a"`) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming the artifact and saying %q", err, tc.want)
			}
			for k, v := range objects {
				if strings.Contains(v, secretText) {
					t.Errorf("the bucket holds the secret at %s", k)
				}
			}
		})
	}
	err, objects := bucketStep(t, nil, `mkdir "$ART"; echo mine > "$ART/own"; mkfifo "$ART/fifo"; ln -s own "$ART/alias"; ln -s "$ART/own" "$ART/abs"; ln -s nowhere "$ART/dangling"`)
	if err != nil {
		t.Fatalf("a directory of the step's own files: %v", err)
	}
	for _, k := range []string{"a/own", "a/alias", "a/abs"} {
		if objects[k] != "mine\n" {
			t.Errorf("%s = %q, want the step's file", k, objects[k])
		}
	}
	if _, ok := objects["a/fifo"]; ok {
		t.Error("the FIFO was uploaded")
	}

	if os.Getuid() != 0 {
		t.Skip("running a step as another user needs root")
	}
	nobody, err := executor.LookupUser("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	err, objects = bucketStep(t, nobody, `ln -s "$OUTSIDE" "$ART"`)
	if err == nil || !strings.Contains(err.Error(), "is a link out of") {
		t.Errorf("a step run as nobody linking a root-only file: %v", err)
	}
	for k, v := range objects {
		if strings.Contains(v, secretText) {
			t.Errorf("the bucket holds the secret at %s", k)
		}
	}
	if err, objects := bucketStep(t, nobody, `echo mine > "$ART"`); err != nil || objects["a"] != "mine\n" {
		t.Errorf("a step run as nobody, its own file: %v %v", err, objects)
	}
}
