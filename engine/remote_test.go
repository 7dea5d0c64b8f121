package engine_test

import (
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/artifact/artifacttest"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/runstate"
)

func readObject(t *testing.T, s artifact.Store, uri string) string {
	t.Helper()
	key, ok := artifact.KeyOf(s, uri)
	if !ok {
		t.Fatalf("%s is not in the store %s", uri, s.URI(""))
	}
	rc, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", uri, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A run whose pipeline root is a bucket: artifacts are uploaded by their
// producer, downloaded by their consumer, logs are copied to the bucket,
// and nothing is left on local disk afterwards.
func TestBucketPipelineRoot(t *testing.T) {
	u := artifacttest.S3(t, "art", "team")
	st, err := artifact.Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := newEngine(t)
	e.Artifacts = st
	e.Scratch = t.TempDir()
	p := load(t, twoStep)

	res, err := e.Run(context.Background(), &engine.Request{Pipeline: p, Params: map[string]any{"n": int64(3)}, PipelineRoot: "s3://art/team/runs", RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.State != runstate.Succeeded {
		t.Fatalf("state %s: %s", res.State, res.Error)
	}
	if res.PipelineRoot != "s3://art/team/runs" || res.RunRoot != "s3://art/team/runs/two-step/r1" {
		t.Errorf("roots = %q, %q", res.PipelineRoot, res.RunRoot)
	}
	if got := res.Outputs.Parameters["Output"]; got != int64(3) {
		t.Fatalf("Output = %#v, want 3 (the consumer read the downloaded artifact)", got)
	}
	data := res.Outputs.Artifacts["data"][0]
	if data.URI != "s3://art/team/runs/two-step/r1/producer/out" {
		t.Errorf("artifact URI = %q", data.URI)
	}
	if got := readObject(t, st, data.URI); got != "hello\nhello\nhello\n" {
		t.Errorf("artifact in the bucket = %q", got)
	}
	prod := task(t, res, "producer")
	if prod.LogURI != "s3://art/team/runs/two-step/r1/.sluice/tasks/producer/log.txt" {
		t.Errorf("log URI = %q", prod.LogURI)
	}
	readObject(t, st, prod.LogURI) // exists (the step prints nothing)
	left, _ := os.ReadDir(e.Scratch)
	if len(left) != 0 {
		t.Errorf("scratch not cleaned: %v", left)
	}

	// The cache serves bucket outputs too: the consumer of a cached
	// producer still downloads the artifact.
	res2, err := e.Run(context.Background(), &engine.Request{Pipeline: p, Params: map[string]any{"n": int64(3)}, PipelineRoot: "s3://art/team/runs", RunID: "r2"})
	if err != nil || res2.State != runstate.Succeeded || !task(t, res2, "producer").Cached {
		t.Fatalf("second run: %v %+v", err, res2)
	}
	// A cached output whose object is gone from the bucket is not served.
	key, _ := artifact.KeyOf(st, data.URI)
	if err := st.Delete(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	res3, err := e.Run(context.Background(), &engine.Request{Pipeline: p, Params: map[string]any{"n": int64(3)}, PipelineRoot: "s3://art/team/runs", RunID: "r3"})
	if err != nil || res3.State != runstate.Succeeded || task(t, res3, "producer").Cached {
		t.Fatalf("third run used a cache entry whose artifact is gone: %v %+v", err, res3)
	}
}

const dirArtifact = `
pipelineInfo: {name: dir-artifact}
root:
  dag:
    tasks:
      train:
        taskInfo: {name: train}
        componentRef: {name: comp-train}
      use:
        taskInfo: {name: use}
        componentRef: {name: comp-use}
        dependentTasks: [train]
        inputs:
          artifacts:
            model: {taskOutputArtifact: {producerTask: train, outputArtifactKey: model}}
components:
  comp-train:
    executorLabel: exec-train
    outputDefinitions:
      artifacts: {model: {artifactType: {schemaTitle: system.Model, schemaVersion: 0.0.1}}}
  comp-use:
    executorLabel: exec-use
    inputDefinitions:
      artifacts: {model: {artifactType: {schemaTitle: system.Model, schemaVersion: 0.0.1}}}
deploymentSpec:
  executors:
    exec-train:
      container:
        image: alpine
        command: [sh, -c, 'mkdir -p "$0/sub" && echo w > "$0/weights" && echo c > "$0/sub/config" && echo "training at $0" && echo oops >&2', "{{$.outputs.artifacts['model'].path}}"]
    exec-use:
      container:
        image: alpine
        command: [sh, -c, 'cat "$0/weights" "$0/sub/config"; case "$0" in "$SLUICE_URI_PATH_PREFIX"/s3/*) ;; *) echo "bad path $0"; exit 3;; esac', "{{$.inputs.artifacts['model'].path}}"]
schemaVersion: 2.1.0
`

// A directory artifact travels as a tree; the steps see the artifact
// under the KFP mount path (/s3/bucket/key) below SLUICE_URI_PATH_PREFIX,
// which Sluice's Python runtime honours too.
func TestBucketDirectoryArtifactAndLogs(t *testing.T) {
	u := artifacttest.S3(t, "art", "")
	e := newEngine(t)
	e.Scratch = t.TempDir()
	// No configured store: the engine opens the root from its URL.
	res, err := e.Run(context.Background(), &engine.Request{Pipeline: load(t, dirArtifact), PipelineRoot: u, RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := artifact.Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	use := task(t, res, "use")
	if res.State != runstate.Succeeded {
		t.Fatalf("state %s: %s; use log: %s", res.State, res.Error, readObject(t, st, use.LogURI))
	}
	if got := readObject(t, st, use.LogURI); got != "w\nc\n" {
		t.Errorf("consumer log = %q", got)
	}
	train := task(t, res, "train")
	if got := readObject(t, st, train.LogURI); !strings.Contains(got, "training at "+e.Scratch) || !strings.Contains(got, "oops") {
		t.Errorf("producer log = %q", got)
	}
	keys, err := st.List(t.Context(), "dir-artifact/r1/train/model")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "dir-artifact/r1/train/model/sub/config,dir-artifact/r1/train/model/weights" {
		t.Errorf("model objects = %v", keys)
	}
	if _, err := os.Stat(filepath.Join(e.Scratch, "r1")); !os.IsNotExist(err) {
		t.Errorf("scratch of the run still there: %v", err)
	}
}

// minioEndpoint starts the in-process S3 server with bucket and returns
// its s3:// URL (no prefix) and its loopback host:port.
func minioEndpoint(t *testing.T, bucket string) (s3URL, hostPort string) {
	t.Helper()
	s3URL = artifacttest.S3(t, bucket, "")
	u, err := url.Parse(s3URL)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := url.Parse(u.Query().Get("endpoint"))
	if err != nil || ep.Host == "" {
		t.Fatalf("endpoint of %s: %v", s3URL, err)
	}
	return s3URL, ep.Host
}

// A run rooted at KFP's default pipeline root, minio://mlpipeline/v2/artifacts,
// with the endpoint from SLUICE_MINIO_ENDPOINT: artifacts and logs get
// minio:// URIs, as in KFP, and are objects of the S3 bucket.
func TestMinioPipelineRoot(t *testing.T) {
	s3URL, hostPort := minioEndpoint(t, "mlpipeline")
	t.Setenv(artifact.MinioEndpointEnv, hostPort)
	e := newEngine(t)
	e.Scratch = t.TempDir()
	res, err := e.Run(context.Background(), &engine.Request{Pipeline: load(t, twoStep), Params: map[string]any{"n": int64(3)}, PipelineRoot: "minio://mlpipeline/v2/artifacts", RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.State != runstate.Succeeded {
		t.Fatalf("state %s: %s", res.State, res.Error)
	}
	if res.PipelineRoot != "minio://mlpipeline/v2/artifacts" || res.RunRoot != "minio://mlpipeline/v2/artifacts/two-step/r1" {
		t.Errorf("roots = %q, %q", res.PipelineRoot, res.RunRoot)
	}
	if got := res.Outputs.Parameters["Output"]; got != int64(3) {
		t.Fatalf("Output = %#v, want 3 (the consumer read the downloaded artifact)", got)
	}
	data := res.Outputs.Artifacts["data"][0]
	if data.URI != "minio://mlpipeline/v2/artifacts/two-step/r1/producer/out" {
		t.Errorf("artifact URI = %q", data.URI)
	}
	m, err := artifact.Open(t.Context(), "minio://mlpipeline/v2/artifacts")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := readObject(t, m, data.URI); got != "hello\nhello\nhello\n" {
		t.Errorf("artifact through minio:// = %q", got)
	}
	s3, err := artifact.Open(t.Context(), s3URL)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if got := readObject(t, s3, "s3://mlpipeline/v2/artifacts/two-step/r1/producer/out"); got != "hello\nhello\nhello\n" {
		t.Errorf("artifact through s3:// = %q", got)
	}
	if prod := task(t, res, "producer"); prod.LogURI != "minio://mlpipeline/v2/artifacts/two-step/r1/.sluice/tasks/producer/log.txt" {
		t.Errorf("log URI = %q", prod.LogURI)
	} else {
		readObject(t, m, prod.LogURI) // exists (the step prints nothing)
	}
	if left, _ := os.ReadDir(e.Scratch); len(left) != 0 {
		t.Errorf("scratch not cleaned: %v", left)
	}
}

// With a configured minio store (endpoint in its URL, none in the
// environment) a root inside it uses that store; steps see artifacts at the
// KFP mount path /minio/bucket/key below SLUICE_URI_PATH_PREFIX.
func TestMinioPipelineRootInConfiguredStore(t *testing.T) {
	_, hostPort := minioEndpoint(t, "mlpipeline")
	t.Setenv(artifact.MinioEndpointEnv, "")
	st, err := artifact.Open(t.Context(), "minio://mlpipeline/v2/artifacts?endpoint="+hostPort)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := newEngine(t)
	e.Artifacts = st
	e.Scratch = t.TempDir()
	y := strings.Replace(dirArtifact, `"$SLUICE_URI_PATH_PREFIX"/s3/*`, `"$SLUICE_URI_PATH_PREFIX"/minio/mlpipeline/v2/artifacts/team/*`, 1)
	if y == dirArtifact {
		t.Fatal("dirArtifact no longer checks the mount path")
	}
	p := load(t, y)
	res, err := e.Run(context.Background(), &engine.Request{Pipeline: p, PipelineRoot: "minio://mlpipeline/v2/artifacts/team", RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	use := task(t, res, "use")
	if res.State != runstate.Succeeded {
		t.Fatalf("state %s: %s; use log: %s", res.State, res.Error, readObject(t, st, use.LogURI))
	}
	if res.RunRoot != "minio://mlpipeline/v2/artifacts/team/dir-artifact/r1" {
		t.Errorf("run root = %q", res.RunRoot)
	}
	if got := readObject(t, st, use.LogURI); got != "w\nc\n" {
		t.Errorf("consumer log = %q", got)
	}
	model := task(t, res, "train").Outputs.Artifacts["model"][0].URI
	if model != "minio://mlpipeline/v2/artifacts/team/dir-artifact/r1/train/model" {
		t.Errorf("model URI = %q", model)
	}
	if got := readObject(t, st, model+"/sub/config"); got != "c\n" {
		t.Errorf("model/sub/config = %q", got)
	}
}
