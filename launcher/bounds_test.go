package launcher

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/spec"
)

// hostileStep runs script as a real local step that declares an output
// parameter p (STRING) and an artifact a, with $OUT the parameter's file,
// $ART the artifact's path and $EO the ExecutorOutput file; files holds
// its declared output files (KFP v1).
func hostileStep(t *testing.T, script string, files []spec.OutputFile) error {
	t.Helper()
	return hostileStepAs(t, nil, script, files)
}

// hostileStepAs is hostileStep run as user (nil: the server's).
func hostileStepAs(t *testing.T, user *executor.User, script string, files []spec.OutputFile) error {
	t.Helper()
	dir := t.TempDir()
	run := rundir.Local(filepath.Join(dir, "root"), "hostile", "r1")
	if err := run.Create(); err != nil {
		t.Fatal(err)
	}
	paths := run.Task("t")
	comp := &spec.ComponentSpec{OutputDefinitions: &spec.Interface{
		Parameters: map[string]*spec.ParameterSpec{"p": {ParameterType: spec.TypeString}},
		Artifacts:  map[string]*spec.ArtifactSpec{"a": {ArtifactType: spec.ArtifactType{SchemaTitle: "system.Artifact"}}},
	}}
	in := &spec.ExecutorInput{Outputs: spec.ExecutorOutputs{
		OutputFile: paths.ExecutorOutput(),
		Parameters: map[string]*spec.OutputParameter{"p": {OutputFile: paths.OutputParam("p")}},
		Artifacts:  map[string]*spec.ArtifactList{"a": {Artifacts: []*spec.RuntimeArtifact{{Name: "a", URI: paths.Artifact("a")}}}},
	}}
	s := &Step{RunID: "r1", TaskID: "t", Comp: comp, Paths: paths, Exec: &spec.ExecutorSpec{Container: &spec.ContainerSpec{OutputFiles: files}}}
	l := &Launcher{Executor: &local.Executor{KillGrace: 100 * time.Millisecond, User: user}}
	defer l.Close()
	env := []string{"OUT=" + paths.OutputParam("p"), "ART=" + paths.Artifact("a"), "EO=" + paths.ExecutorOutput(), "OUTSIDE=" + filepath.Join(dir, "secret")}
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("the server's secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if user != nil {
		// The step's user can reach its directories, as a server's
		// pipeline root must let it.
		for d := dir; d != "/" && d != filepath.Dir(d); d = filepath.Dir(d) {
			if d == filepath.Dir(dir) {
				break
			}
			os.Chmod(d, 0o755)
		}
		os.Chmod(filepath.Dir(dir), 0o755)
	}
	p := &Prepared{Input: in, Argv: []string{"sh", "-c", script}, Env: env}
	done := make(chan error, 1)
	go func() {
		_, _, err := l.Run(context.Background(), s, p, io.Discard)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(2 * time.Minute):
		t.Fatal("reading the step's outputs did not end")
		return nil
	}
}

// A step controls the files Sluice reads after it: an ExecutorOutput or an
// output parameter file of any size, a FIFO, a device, a directory or a
// link to a file the step may not read. Each fails the step with a message
// naming the file (and the limit), without reading more than the limit,
// blocking, or reading through the link.
func TestHostileOutputFilesAreBounded(t *testing.T) {
	declared := []spec.OutputFile{{Path: "/tmp/outputs/p/data", Parameter: "p"}}
	for _, tc := range []struct {
		name, script string
		files        []spec.OutputFile
		want         []string
	}{
		// A sparse file: the step writes nothing, the server would read 4 GiB.
		{"huge executor output", `truncate -s 4G "$EO"`, nil, []string{"executor_output.json", "larger than the limit of 16 MiB"}},
		{"executor output over the limit", `head -c 16777217 /dev/zero | tr '\0' ' ' > "$EO"`, nil, []string{"executor_output.json", "16 MiB"}},
		{"executor output a FIFO", `mkfifo "$EO"`, nil, []string{"executor_output.json", "not a regular file"}},
		{"executor output a device", `ln -s /dev/zero "$EO"`, nil, []string{"executor_output.json"}},
		{"executor output a link out", `ln -s "$OUTSIDE" "$EO"`, nil, []string{"executor_output.json"}},
		{"huge output parameter", `mkdir -p "$(dirname "$OUT")"; truncate -s 4G "$OUT"`, nil, []string{`output parameter "p"`, "larger than the limit of 256 KiB"}},
		{"output parameter a FIFO", `mkdir -p "$(dirname "$OUT")"; mkfifo "$OUT"`, nil, []string{`output parameter "p"`, "not a regular file"}},
		{"output parameter a link out", `mkdir -p "$(dirname "$OUT")"; ln -s "$OUTSIDE" "$OUT"`, nil, []string{`output parameter "p"`}},
		{"output parameter's directory a link out", `rm -rf "$(dirname "$OUT")"; ln -s "$(dirname "$OUTSIDE")" "$(dirname "$OUT")"; cp "$OUTSIDE" "$OUT" 2>/dev/null; true`, nil, []string{`output parameter "p"`}},
		{"declared output file a FIFO", `mkdir -p "$(dirname "$OUT")"; mkfifo "$OUT"`, declared, []string{`output parameter "p"`, "not a regular file"}},
		{"declared output file a link out", `mkdir -p "$(dirname "$OUT")"; ln -s "$OUTSIDE" "$OUT"`, declared, []string{`output parameter "p"`}},
		{"declared output file huge", `mkdir -p "$(dirname "$OUT")"; truncate -s 4G "$OUT"`, declared, []string{`output parameter "p"`, "256 KiB"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := hostileStep(t, tc.script, tc.files)
			if err == nil {
				t.Fatal("the step succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "the server's secret") {
				t.Errorf("error %q shows the file outside", err)
			}
		})
	}
	// The same step with ordinary files succeeds.
	if err := hostileStep(t, `mkdir -p "$(dirname "$OUT")"; echo ok > "$OUT"; echo '{"parameterValues": {"p": "v"}}' > "$EO"`, nil); err != nil {
		t.Fatalf("an ordinary step: %v", err)
	}
}

// remoteStub is a remote launcher whose "pod" left the outputs record
// write made.
type remoteStub struct {
	st    artifact.Store
	key   string
	write func(w io.Writer) error
}

func (r *remoteStub) LaunchesRemotely() bool { return true }

func (r *remoteStub) Run(ctx context.Context, job *executor.Job) (*executor.Result, error) {
	w, err := r.st.Create(ctx, r.key)
	if err != nil {
		return nil, err
	}
	if err := r.write(w); err != nil {
		w.Close()
		return nil, err
	}
	return &executor.Result{ExitCode: 0}, w.Close()
}

// A step's pod writes its outputs record: the server reads at most
// MaxOutputsRecord of it and fails the step naming the record and the
// limit; the launcher in the pod refuses to write a record over it.
func TestOutputsRecordIsBounded(t *testing.T) {
	st, err := artifact.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	uris := rundir.AtMetaURI(st.URI("r/.sluice/tasks/t"))
	key, _ := artifact.KeyOf(st, uris.OutputsRecord())
	s := &Step{RunID: "r", TaskID: "t", Comp: &spec.ComponentSpec{}, URIs: uris, Store: st}
	p := &Prepared{Input: &spec.ExecutorInput{}, Argv: []string{"true"}}

	big := func(n int64) func(w io.Writer) error {
		return func(w io.Writer) error {
			if _, err := io.WriteString(w, `{"parameters": {"p": "`); err != nil {
				return err
			}
			if _, err := io.Copy(w, io.LimitReader(zeros{}, n)); err != nil {
				return err
			}
			_, err := io.WriteString(w, `"}}`)
			return err
		}
	}
	l := &Launcher{Executor: &remoteStub{st: st, key: key, write: big(MaxOutputsRecord)}}
	_, _, err = l.Run(context.Background(), s, p, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "outputs.json") || !strings.Contains(err.Error(), "32 MiB") {
		t.Fatalf("an outputs record over the limit: %v", err)
	}
	l = &Launcher{Executor: &remoteStub{st: st, key: key, write: big(1 << 20)}}
	out, _, err := l.Run(context.Background(), s, p, io.Discard)
	if err != nil || len(out.Parameters["p"].(string)) != 1<<20 {
		t.Fatalf("an outputs record under the limit: %v", err)
	}

	huge := &plan.Outputs{Parameters: map[string]any{"p": strings.Repeat("x", MaxOutputsRecord)}}
	err = l.writeRecord(context.Background(), s, huge, nil)
	if err == nil || !strings.Contains(err.Error(), "32 MiB") {
		t.Fatalf("writing an outputs record over the limit: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) {
	copy(b, bytes.Repeat([]byte{'x'}, len(b)))
	return len(b), nil
}

// An artifact's custom path is a path the step names in its ExecutorOutput:
// the server copies only a regular file or a directory from there (not a
// FIFO, which blocked the copy forever, nor /dev/zero, which never ended
// it), and, when steps run as another user, only that user's own files
// (not a file of the server's the step could not read).
func TestHostileCustomPaths(t *testing.T) {
	eo := func(path string) string {
		return `printf '{"artifacts": {"a": {"artifacts": [{"name": "a", "custom_path": "%s"}]}}}' "` + path + `" > "$EO"`
	}
	for _, tc := range []struct{ name, script, want string }{
		{"FIFO", `mkfifo "$HOME/f"; ` + eo("$HOME/f"), "not a regular file or a directory"},
		{"device", eo("/dev/zero"), "not a regular file or a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := hostileStep(t, tc.script, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	// Its own file is copied.
	if err := hostileStep(t, `echo data > "$HOME/own"; `+eo("$HOME/own"), nil); err != nil {
		t.Fatalf("a custom path of the step's own: %v", err)
	}

	if os.Getuid() != 0 {
		t.Skip("running a step as another user needs root")
	}
	nobody, err := executor.LookupUser("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	err = hostileStepAs(t, nobody, eo("$OUTSIDE"), nil)
	if err == nil || !strings.Contains(err.Error(), "is not the step's own file") {
		t.Fatalf("a step run as nobody naming the server's file as its custom path: %v", err)
	}
	if err := hostileStepAs(t, nobody, `echo data > "$HOME/own"; `+eo("$HOME/own"), nil); err != nil {
		t.Fatalf("a step run as nobody, its own file: %v", err)
	}
}
