package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/artifact/artifacttest"
	"github.com/sluicehq/sluice/server"
	"github.com/sluicehq/sluice/spec"
)

// With --artifacts s3://..., the tutorial's Python steps read and write
// their artifacts through the bucket, logs land there, the API serves
// both from it, and no local copy outlives the run.
func TestServerWithS3Artifacts(t *testing.T) {
	storeURL := artifacttest.S3(t, "sluice-art", "prod")
	cfg := server.Defaults()
	cfg.Addr, cfg.Data, cfg.NoExamples = "127.0.0.1:0", t.TempDir(), true
	cfg.Artifacts = storeURL
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	b, err := os.ReadFile("../examples/tutorial/pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := spec.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	js, err := spec.MarshalStored(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, base: "http://" + srv.Addr()}
	id := c.submit(m)
	r := c.waitTerminal(id, 90*time.Second)
	if r.State != "SUCCEEDED" {
		t.Fatalf("run %+v", r)
	}

	var tasks struct {
		Tasks []struct {
			TaskID  string `json:"task_id"`
			Outputs struct {
				Artifacts map[string][]spec.RuntimeArtifact `json:"artifacts"`
			} `json:"outputs"`
		} `json:"tasks"`
	}
	if code := c.do("GET", "/apis/sluice/v1/runs/"+id+"/tasks", nil, &tasks); code != 200 {
		t.Fatalf("tasks: %d", code)
	}
	var result string
	for _, tk := range tasks.Tasks {
		if tk.TaskID == "save-result" {
			result = tk.Outputs.Artifacts["result"][0].URI
		}
	}
	want := "s3://sluice-art/prod/tutorial/" + id + "/save-result/result"
	if result != want {
		t.Fatalf("result artifact URI %q, want %q", result, want)
	}
	// The object is in the bucket, read with a client of our own.
	st, err := artifact.Open(t.Context(), storeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := st.List(t.Context(), "tutorial/"+id)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(keys, "\n")
	for _, k := range []string{"/save-result/result", "/.sluice/tasks/read-data/log.txt", "/.sluice/tasks/save-result/log.txt"} {
		if !strings.Contains(joined, "tutorial/"+id+k) {
			t.Errorf("bucket lacks %s; has:\n%s", k, joined)
		}
	}
	// The API serves the artifact and the logs from the bucket.
	if got := get(t, c.base+"/apis/sluice/v1/artifacts?uri="+url.QueryEscape(result)); got != "3.0" {
		t.Errorf("artifact via the API = %q, want 3.0", got)
	}
	logs := get(t, c.base+"/apis/sluice/v1/runs/"+id+"/logs/save-result")
	followed := get(t, c.base+"/apis/sluice/v1/runs/"+id+"/logs/save-result?follow=true")
	if !strings.HasSuffix(followed, "event: end\ndata: SUCCEEDED\n\n") {
		t.Errorf("followed log %q", followed)
	}
	if first, _, _ := strings.Cut(logs, "\n"); first != "" && !strings.Contains(followed, "data: "+first) {
		t.Errorf("followed log %q lacks %q", followed, first)
	}
	if code := c.do("GET", "/apis/sluice/v1/artifacts?uri="+url.QueryEscape("s3://other-bucket/x"), nil, nil); code != 403 {
		t.Errorf("artifact outside the store: %d, want 403", code)
	}
	if code := c.do("GET", "/apis/sluice/v1/artifacts?uri="+url.QueryEscape("s3://sluice-art/prod/nope"), nil, nil); code != 404 {
		t.Errorf("missing artifact: %d, want 404", code)
	}
	// Nothing of the run is left in the local scratch directory.
	left, _ := os.ReadDir(filepath.Join(cfg.Data, "scratch"))
	if len(left) != 0 {
		t.Errorf("scratch not cleaned: %v", left)
	}
}

func TestArtifactsFlagSchemes(t *testing.T) {
	for _, tc := range []struct{ url, err string }{
		{"ftp://x/y", `unsupported scheme "ftp"`},
		{"mem://x", `unsupported scheme "mem"`},
	} {
		cfg := server.Defaults()
		cfg.Data, cfg.Artifacts = t.TempDir(), tc.url
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err %v, want %q", tc.url, err, tc.err)
		}
	}
	for _, u := range []string{"s3://bucket/prefix?endpoint=http://127.0.0.1:9000", "minio://mlpipeline/v2/artifacts?endpoint=127.0.0.1:9000"} {
		cfg := server.Defaults()
		cfg.Data, cfg.Artifacts = t.TempDir(), u
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	// gs:// and azblob:// are refused by a build without their driver,
	// naming the flag and the build tag, and accepted by one with it.
	for scheme, tag := range map[string]string{"gs": "gcs", "azblob": "azure"} {
		cfg := server.Defaults()
		cfg.Data, cfg.Artifacts = t.TempDir(), scheme+"://bucket/prefix"
		err := cfg.Validate()
		if slices.Contains(artifact.Schemes(), scheme) {
			if err != nil {
				t.Errorf("%s:// refused by a build that has it: %v", scheme, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), "--artifacts") || !strings.Contains(err.Error(), "-tags "+tag) {
			t.Errorf("%s:// in a build without it: err %v, want --artifacts and -tags %s", scheme, err, tag)
		}
	}
}

func TestKubernetesExecutorConfig(t *testing.T) {
	base := func() server.Config {
		c := server.Defaults()
		c.Data, c.Executor = t.TempDir(), "kubernetes"
		return c
	}
	c := base()
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "pods cannot reach a local artifact directory") {
		t.Errorf("local artifacts: %v", err)
	}
	c = base()
	c.Artifacts = "s3://bucket/p"
	c.Kubernetes.LauncherImage = ""
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--launcher-image is empty") {
		t.Errorf("no launcher image: %v", err)
	}
	c = base()
	c.Artifacts, c.Kubernetes.LauncherImage = "s3://bucket/p", ""
	if err := c.FromEnv(func(k string) string { return map[string]string{"SLUICE_LAUNCHER_HOST_PATH": "/var/lib/sluice/bin"}[k] }); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil || c.Kubernetes.LauncherHostPath != "/var/lib/sluice/bin" {
		t.Errorf("host path launcher without an image: %v %+v", err, c.Kubernetes)
	}
	c.Kubernetes.LauncherHostPath = "bin"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "absolute path") {
		t.Errorf("relative host path: %v", err)
	}
	c = base()
	c.Executor = "docker"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `want "local" or "kubernetes"`) {
		t.Errorf("unknown executor: %v", err)
	}
	c = base()
	env := map[string]string{
		"SLUICE_ARTIFACTS": "s3://bucket/p", "SLUICE_NAMESPACE": "steps", "SLUICE_LAUNCHER_IMAGE": "sluice:1",
		"SLUICE_KEEP_PODS": "10m", "SLUICE_POD_HOST_NETWORK": "true", "SLUICE_ARTIFACTS_SECRET": "s3-creds",
		"SLUICE_POD_START_TIMEOUT": "90s",
	}
	if err := c.FromEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	k := c.Kubernetes
	if c.Artifacts != "s3://bucket/p" || k.Namespace != "steps" || k.LauncherImage != "sluice:1" || k.KeepPods != 10*time.Minute || k.PodStartTimeout != 90*time.Second || !k.HostNetwork || k.ArtifactsSecret != "s3-creds" {
		t.Errorf("from env: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("valid config refused: %v", err)
	}
	env["SLUICE_KEEP_PODS"] = "soon"
	if err := c.FromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "SLUICE_KEEP_PODS") {
		t.Errorf("bad duration: %v", err)
	}
	env["SLUICE_KEEP_PODS"], env["SLUICE_POD_START_TIMEOUT"] = "1m", "later"
	if err := c.FromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), `SLUICE_POD_START_TIMEOUT="later"`) {
		t.Errorf("bad start timeout: %v", err)
	}
	// With no cluster reachable, the server says so instead of starting.
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	c = base()
	c.Artifacts = "s3://bucket/p"
	c.Kubernetes.Kubeconfig = filepath.Join(t.TempDir(), "missing")
	if _, err := server.New(context.Background(), c, nil); err == nil || !strings.Contains(err.Error(), "kubeconfig") {
		t.Errorf("missing kubeconfig: %v", err)
	}
}
