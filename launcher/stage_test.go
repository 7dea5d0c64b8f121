package launcher

import (
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/artifact/artifacttest"
	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/spec"
)

// A task's log reaches the bucket while the step is still writing it, and
// in full when it is closed.
func TestOpenLogMirrorsToBucket(t *testing.T) {
	old := LogFlushInterval
	LogFlushInterval = 20 * time.Millisecond
	defer func() { LogFlushInterval = old }()

	st, err := artifact.Open(t.Context(), artifacttest.S3(t, "logs", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	run := rundir.Local(t.TempDir(), "p", "r")
	if err := run.Create(); err != nil {
		t.Fatal(err)
	}
	task := &Step{Paths: run.Task("a"), URIs: rundir.AtMetaURI("s3://logs/p/r/.sluice/tasks/a"), Store: st}
	w, uri, err := (&Launcher{}).OpenLog(context.Background(), task)
	if err != nil {
		t.Fatal(err)
	}
	if uri != "s3://logs/p/r/.sluice/tasks/a/log.txt" {
		t.Fatalf("uri = %q", uri)
	}
	read := func() string {
		rc, err := st.Open(context.Background(), "p/r/.sluice/tasks/a/log.txt")
		if err != nil {
			return "<" + err.Error() + ">"
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		return string(b)
	}
	if got := read(); got != "" {
		t.Fatalf("new log = %q, want an empty object", got)
	}
	io.WriteString(w, "line 1\n")
	deadline := time.Now().Add(10 * time.Second)
	for read() != "line 1\n" {
		if time.Now().After(deadline) {
			t.Fatalf("log not mirrored while open: %q", read())
		}
		time.Sleep(10 * time.Millisecond)
	}
	io.WriteString(w, "line 2\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "line 1\nline 2\n" {
		t.Fatalf("closed log = %q", got)
	}
}

func TestResources(t *testing.T) {
	r := &spec.ResourceSpec{
		ResourceCPULimit: "{{$.inputs.parameters['cpu']}}", CPURequest: 0.5,
		MemoryLimit: 15.032385536, ResourceMemoryRequest: "4Gi",
		Accelerator: &spec.Accelerator{Type: "nvidia.com/gpu", Count: "1", ResourceType: "", ResourceCount: "2"},
	}
	got, err := resources(r, map[string]any{"cpu": "4"})
	if err != nil {
		t.Fatal(err)
	}
	want := executor.Resources{CPURequest: "0.5", CPULimit: "4", MemoryRequest: "4Gi", MemoryLimit: "15032385536",
		AcceleratorType: "nvidia.com/gpu", AcceleratorCount: "2"}
	if got != want {
		t.Errorf("resources = %+v, want %+v", got, want)
	}
	if got, _ := resources(nil, nil); got != (executor.Resources{}) {
		t.Errorf("no resources = %+v", got)
	}
}

// An input in a minio:// bucket outside the run's store is downloaded from
// a store the launcher opens on that bucket, at SLUICE_MINIO_ENDPOINT, to
// its mount path /minio/bucket/key; without the variable the error says
// what to set.
func TestDownloadMinioOutsideTheRunStore(t *testing.T) {
	s3URL := artifacttest.S3(t, "mlpipeline", "")
	u, err := url.Parse(s3URL)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := url.Parse(u.Query().Get("endpoint"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(artifact.MinioEndpointEnv, "")
	st, err := artifact.Open(t.Context(), "minio://mlpipeline/v2/artifacts?endpoint="+ep.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := st.Create(t.Context(), "p/r1/t/out") // inside the run store
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "in store")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	other, err := artifact.Open(t.Context(), s3URL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	src := filepath.Join(t.TempDir(), "d.csv")
	os.WriteFile(src, []byte("a,b\n"), 0o644)
	if err := other.Put(t.Context(), src, "datasets/d.csv"); err != nil {
		t.Fatal(err)
	}

	l := &Launcher{}
	defer l.Close()
	run := rundir.Bucket("minio://mlpipeline/v2/artifacts", t.TempDir(), "p", "r1")
	if err := run.Create(); err != nil {
		t.Fatal(err)
	}
	task := &Step{Store: st, Scratch: run.Scratch, Paths: run.Task("t")}
	inStore := &spec.RuntimeArtifact{URI: "minio://mlpipeline/v2/artifacts/p/r1/t/out"}
	if err := l.download(t.Context(), task, inStore, ""); err != nil {
		t.Fatalf("download from the run store: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(task.Scratch, "minio/mlpipeline/v2/artifacts/p/r1/t/out")); string(b) != "in store" {
		t.Errorf("run-store input at its mount path = %q, %v", b, err)
	}

	foreign := &spec.RuntimeArtifact{URI: "minio://mlpipeline/datasets/d.csv"}
	err = l.download(t.Context(), task, foreign, "")
	if err == nil || !strings.Contains(err.Error(), artifact.MinioEndpointEnv) {
		t.Fatalf("download without an endpoint = %v, want an error naming %s", err, artifact.MinioEndpointEnv)
	}
	t.Setenv(artifact.MinioEndpointEnv, ep.Host)
	if err := l.download(t.Context(), task, foreign, ""); err != nil {
		t.Fatalf("download: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(task.Scratch, "minio/mlpipeline/datasets/d.csv")); string(b) != "a,b\n" {
		t.Errorf("foreign input at its mount path = %q, %v", b, err)
	}
}
