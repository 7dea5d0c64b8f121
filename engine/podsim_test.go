package engine_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/artifact/artifacttest"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/launch"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/runstate"
)

// podSim is an executor that launches steps "remotely" the way the
// Kubernetes executor does — it hands the launch description to
// `sluice launch` (launcher.Launch), which stages everything through the
// bucket — but runs it in this process instead of in a pod.
type podSim struct {
	storeURL string
	jobs     int
}

func (p *podSim) LaunchesRemotely() bool { return true }

func (p *podSim) Run(ctx context.Context, job *executor.Job) (*executor.Result, error) {
	p.jobs++
	// What a pod gets: the description through its environment.
	v, err := job.Launch.Encode()
	if err != nil {
		return nil, err
	}
	ls, err := launch.Decode(v)
	if err != nil {
		return nil, err
	}
	for _, kv := range job.Env {
		if strings.HasPrefix(kv, "PYTHONPATH=") || strings.HasPrefix(kv, "SLUICE_URI_PATH_PREFIX=") {
			return nil, &launcherEnvError{kv}
		}
	}
	st, err := artifact.Open(ctx, p.storeURL)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	code, err := launcher.Launch(ctx, ls, st, job.Argv, job.Env, job.Log)
	if err != nil {
		return nil, err
	}
	return &executor.Result{ExitCode: code}, nil
}

type launcherEnvError struct{ kv string }

func (e *launcherEnvError) Error() string { return "a server-side variable reached the pod: " + e.kv }

var _ executor.RemoteLauncher = (*podSim)(nil)

// A remote launcher sees the KFP mount paths (/s3/bucket/key), as in a
// pod; this test needs to write under /s3, so it runs as root only.
func TestRemoteLauncherThroughTheBucket(t *testing.T) {
	if err := os.MkdirAll("/s3", 0o755); err != nil {
		t.Skipf("cannot create /s3 (the pod mount path): %v", err)
	}
	b := make([]byte, 4)
	rand.Read(b)
	bucket := "podsim-" + hex.EncodeToString(b)
	t.Cleanup(func() { os.RemoveAll(filepath.Join("/s3", bucket)) })
	u := artifacttest.S3(t, bucket, "root")
	st, err := artifact.Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sim := &podSim{storeURL: u}
	e := newEngine(t)
	e.Launcher.Executor = sim
	e.Artifacts = st
	e.DefaultRoot = st.URI("")
	e.Scratch = t.TempDir()

	for _, tc := range []struct {
		name, yaml string
		params     map[string]any
		check      func(t *testing.T, res *engine.Result)
	}{
		{"params-and-file", twoStep, map[string]any{"n": int64(3)}, func(t *testing.T, res *engine.Result) {
			if got := res.Outputs.Parameters["Output"]; got != int64(3) {
				t.Errorf("Output = %#v, want 3", got)
			}
			if got := readObject(t, st, res.Outputs.Artifacts["data"][0].URI); got != "hello\nhello\nhello\n" {
				t.Errorf("artifact = %q", got)
			}
			// What the step used comes back through the outputs record,
			// measured by the launcher in its container.
			u := task(t, res, "producer").Resources
			if u == nil || !strings.HasPrefix(u.Method, "pod-") || u.PeakMemoryBytes <= 0 || u.WallSeconds <= 0 {
				t.Errorf("producer's resources %+v, want the container's figures", u)
			}
		}},
		{"directory-artifact", dirArtifact, nil, func(t *testing.T, res *engine.Result) {
			if got := readObject(t, st, task(t, res, "use").LogURI); got != "w\nc\n" {
				t.Errorf("consumer log in the bucket = %q", got)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.Run(context.Background(), &engine.Request{Pipeline: load(t, tc.yaml), Params: tc.params, NoCache: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.State != runstate.Succeeded {
				for _, tk := range res.Tasks {
					t.Logf("%s %s %s", tk.ID, tk.State, tk.Error)
				}
				t.Fatalf("state %s: %s", res.State, res.Error)
			}
			tc.check(t, res)
		})
	}
	// A step that fails in its pod still reports what it used.
	res, err := e.Run(context.Background(), &engine.Request{Pipeline: load(t, failingPodStep), NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.State != runstate.Failed {
		t.Fatalf("a failing step's run ended %s", res.State)
	}
	if u := task(t, res, "fail").Resources; u == nil || !strings.HasPrefix(u.Method, "pod-") || u.WallSeconds <= 0 {
		t.Errorf("the failed step's resources %+v, want the container's figures", u)
	}
	if sim.jobs != 5 {
		t.Errorf("%d jobs launched, want 5", sim.jobs)
	}
}

const failingPodStep = `
pipelineInfo: {name: failing-pod-step}
root: {dag: {tasks: {fail: {taskInfo: {name: fail}, componentRef: {name: comp-fail}}}}}
components: {comp-fail: {executorLabel: exec-fail}}
deploymentSpec: {executors: {exec-fail: {container: {image: alpine, command: [sh, -c, 'echo failing; exit 3']}}}}
`
