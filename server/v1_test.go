package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

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
	data := t.TempDir()
	c := &client{t: t, base: inProcess(t, func(cfg *server.Config) { cfg.Data, cfg.Parallelism = data, 4 })}

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
	filepath.WalkDir(data, func(p string, d os.DirEntry, err error) error {
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
		t.Fatalf("save_result wrote no result.txt under %s", data)
	}

	// A broken workflow is refused with a 400 naming the template and field.
	bad := strings.Replace(string(tutorial), "template: compute-average", "template: compute-avg", 1)
	code, resp := upload(t, c.base, "bad.yaml", []byte(bad))
	msg, _ := resp["error_message"].(string)
	if code != 400 || !strings.Contains(msg, `spec.templates[my-first-pipeline].dag.tasks[compute-average].template: unknown template "compute-avg"`) {
		t.Fatalf("bad upload: %d %v", code, resp)
	}
}

// kfp18 makes requests as kfp 1.8's kfp.Client does: Content-Type
// application/json on every call, the package in the multipart field
// uploadfile.
type kfp18 struct {
	t    *testing.T
	base string
}

func (k *kfp18) call(method, path string, body any) map[string]any {
	k.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, k.base+"/apis/v1beta1"+path, r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "OpenAPI-Generator/1.8.5/python")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		k.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		k.t.Fatalf("%s %s: %v", method, path, err)
	}
	return m
}

// waitForRunCompletion is the client's wait_for_run_completion: get the
// run until its status, lowercased, is succeeded, failed, skipped or
// error.
func (k *kfp18) waitForRunCompletion(id string, timeout time.Duration) map[string]any {
	k.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		d := k.call("GET", "/runs/"+id, nil)
		st, _ := d["run"].(map[string]any)["status"].(string)
		switch strings.ToLower(st) {
		case "succeeded", "failed", "skipped", "error":
			return d
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("run %s still %q after %s", id, st, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestKFPv1ClientSequence follows the kfp 1.8 client through the
// tutorial: upload the compiled my_pipeline.yaml, create an experiment,
// run_pipeline (by package and by pipeline version), wait for completion
// by polling the run, list the experiment's runs and read the workflow
// (_get_workflow_json): the runs succeed and save_result writes 3.0.
func TestKFPv1ClientSequence(t *testing.T) {
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
	data := t.TempDir()
	k := &kfp18{t: t, base: inProcess(t, func(cfg *server.Config) { cfg.Data, cfg.Parallelism = data, 4 })}

	// Client(host): healthz.
	if hz := k.call("GET", "/healthz", nil); hz["multi_user"] != false {
		t.Fatalf("healthz %v", hz)
	}
	// upload_pipeline(path, pipeline_name='tutorial').
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("uploadfile", "my_pipeline.yaml")
	fw.Write(tutorial)
	mw.Close()
	resp, err := http.Post(k.base+"/apis/v1beta1/pipelines/upload?name=tutorial", mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	var pipe map[string]any
	json.NewDecoder(resp.Body).Decode(&pipe)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, pipe)
	}
	pid := pipe["id"].(string)
	vid := pipe["default_version"].(map[string]any)["id"].(string)

	// create_experiment('tutorial'): look it up by name, then create it.
	filter := url.QueryEscape(`{"predicates": [{"op": 1, "key": "name", "stringValue": "tutorial"}]}`)
	if l := k.call("GET", "/experiments?filter="+filter, nil); l["experiments"] != nil {
		t.Fatalf("experiment list %v", l)
	}
	exp := k.call("POST", "/experiments", map[string]any{"name": "tutorial", "description": "kfp 1.8", "resource_references": []any{}})
	expID := exp["id"].(string)
	owner := []any{map[string]any{"key": map[string]any{"type": "EXPERIMENT", "id": expID}, "relationship": "OWNER"}}

	// run_pipeline(exp, 'by package', pipeline_package_path=...): the
	// package re-encoded as JSON text.
	var doc any
	if err := yaml.Unmarshal(tutorial, &doc); err != nil {
		t.Fatal(err)
	}
	manifest, _ := json.Marshal(doc)
	r1 := k.call("POST", "/runs", map[string]any{"name": "by package", "pipeline_spec": map[string]any{"workflow_manifest": string(manifest), "parameters": []any{}},
		"resource_references": owner, "service_account": ""})
	// run_pipeline(exp, 'by version', pipeline_id=pid, version_id=vid).
	r2 := k.call("POST", "/runs", map[string]any{"name": "by version", "pipeline_spec": map[string]any{"pipeline_id": pid},
		"resource_references": append(owner, map[string]any{"key": map[string]any{"type": "PIPELINE_VERSION", "id": vid}, "relationship": "CREATOR"})})
	for _, r := range []map[string]any{r1, r2} {
		id := r["run"].(map[string]any)["id"].(string)
		d := k.waitForRunCompletion(id, 90*time.Second)
		if st := d["run"].(map[string]any)["status"]; st != "Succeeded" {
			t.Fatalf("run %s: %v", id, d["run"])
		}
		// _get_workflow_json: the workflow's nodes carry the outputs.
		var wf struct {
			Status struct {
				Phase string `json:"phase"`
				Nodes map[string]struct {
					DisplayName string `json:"displayName"`
					Phase       string `json:"phase"`
					Type        string `json:"type"`
					Outputs     struct {
						Parameters []struct{ Name, Value string } `json:"parameters"`
					} `json:"outputs"`
				} `json:"nodes"`
			} `json:"status"`
		}
		if err := json.Unmarshal([]byte(d["pipeline_runtime"].(map[string]any)["workflow_manifest"].(string)), &wf); err != nil {
			t.Fatalf("workflow_manifest: %v", err)
		}
		avg := ""
		pods := 0
		for _, n := range wf.Status.Nodes {
			if n.Type == "Pod" && n.Phase == "Succeeded" {
				pods++
			}
			for _, p := range n.Outputs.Parameters {
				if n.DisplayName == "compute-average" && p.Name == "compute-average-Output" {
					avg = p.Value
				}
			}
		}
		if wf.Status.Phase != "Succeeded" || pods != 3 || avg != "3.0" {
			t.Errorf("workflow of %s: phase %s, %d pods succeeded, average %q", id, wf.Status.Phase, pods, avg)
		}
	}
	// list_runs(experiment_id=exp).
	l := k.call("GET", "/runs?page_token=&page_size=10&sort_by="+url.QueryEscape("created_at desc")+
		"&resource_reference_key.type=EXPERIMENT&resource_reference_key.id="+expID, nil)
	runs, _ := l["runs"].([]any)
	if len(runs) != 2 || runs[0].(map[string]any)["name"] != "by version" || runs[1].(map[string]any)["status"] != "Succeeded" {
		t.Fatalf("list_runs: %v", l)
	}
	// save_result wrote 3.0: once, or once per run. The two runs are the
	// same pipeline with the same inputs, so the second may take the first's
	// outputs from the cache (or wait for the first's step and take them).
	found := 0
	filepath.WalkDir(data, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, filepath.Join("save-result", "work", "result.txt")) {
			if b, _ := os.ReadFile(p); string(b) != "3.0" {
				t.Errorf("%s = %q, want 3.0", p, b)
			}
			found++
		}
		return nil
	})
	if found < 1 || found > 2 {
		t.Fatalf("save_result wrote result.txt %d times under %s, want 1 or 2", found, data)
	}
}
