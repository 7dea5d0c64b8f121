package launcher

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/artifact/artifacttest"
	"github.com/sluicehq/sluice/executor"
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
	task := &Task{Meta: t.TempDir(), MetaURI: "s3://logs/p/r/.sluice/tasks/a", Store: st}
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
