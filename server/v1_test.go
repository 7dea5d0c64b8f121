package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/server"
)

// upload posts a pipeline file to the v2beta1 upload route.
func upload(t *testing.T, base, name string, data []byte) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("uploadfile", name)
	fw.Write(data)
	mw.Close()
	resp, err := http.Post(base+"/apis/v2beta1/pipelines/upload?name="+strings.TrimSuffix(name, ".yaml"), mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

// TestServerRunsAKFPv1Workflow uploads the tutorial as kfp 1.8 compiles it
// (an Argo workflow) through the v2beta1 upload route and runs it: the
// server stores and runs the translated pipeline like any other.
func TestServerRunsAKFPv1Workflow(t *testing.T) {
	tutorial, err := os.ReadFile("../../shared/conformance/kfp-v1-compiled/func-components/my_pipeline.yaml")
	if err != nil {
		t.Skipf("KFP v1 corpus not found: %v", err)
	}
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("SLUICE_REQUIRE_TOOLS") != "" {
			t.Fatal("python3 not found")
		}
		t.Skip("python3 not found")
	}
	cfg := server.Defaults()
	cfg.Addr, cfg.Data, cfg.NoExamples, cfg.Parallelism = "127.0.0.1:0", t.TempDir(), true, 4
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
	c := &client{t: t, base: "http://" + srv.Addr()}

	code, up := upload(t, c.base, "my_pipeline.yaml", tutorial)
	if code != 200 {
		t.Fatalf("upload: %d %v", code, up)
	}
	var r wireRun
	if code := c.do("POST", "/apis/v2beta1/runs", map[string]any{"display_name": "tutorial v1",
		"pipeline_version_reference": map[string]any{"pipeline_id": up["pipeline_id"]}}, &r); code != 200 {
		t.Fatalf("create run: %d", code)
	}
	r = c.waitTerminal(r.RunID, 60*time.Second)
	if r.State != "SUCCEEDED" {
		t.Fatalf("run %+v", r)
	}
	found := false
	filepath.WalkDir(cfg.Data, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, filepath.Join("save-result", "work", "result.txt")) {
			b, _ := os.ReadFile(p)
			if string(b) != "3.0" {
				t.Errorf("%s = %q, want 3.0", p, b)
			}
			found = true
		}
		return nil
	})
	if !found {
		t.Fatalf("save_result wrote no result.txt under %s", cfg.Data)
	}

	// A broken workflow is refused with a 400 naming the template and field.
	bad := strings.Replace(string(tutorial), "template: compute-average", "template: compute-avg", 1)
	code, resp := upload(t, c.base, "bad.yaml", []byte(bad))
	msg, _ := resp["error_message"].(string)
	if code != 400 || !strings.Contains(msg, `spec.templates[my-first-pipeline].dag.tasks[compute-average].template: unknown template "compute-avg"`) {
		t.Fatalf("bad upload: %d %v", code, resp)
	}
}
