package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/artifact/artifacttest"
	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/server"
)

// linkerPipeline is a pipeline whose steps leave hostile output artifacts:
// "link" a link to secret (a file outside the run), "tree" a directory
// holding a file of its own and a link to secret, "fifo" a FIFO.
func linkerPipeline(secret string) map[string]any {
	scripts := map[string]string{
		"link": `mkdir -p "$(dirname "$0")"; ln -s ` + secret + ` "$0"`,
		"tree": `mkdir -p "$0"; echo mine > "$0/ok.txt"; ln -s ` + secret + ` "$0/leak"`,
		"fifo": `mkdir -p "$(dirname "$0")"; mkfifo "$0"`,
	}
	tasks, comps, execs := map[string]any{}, map[string]any{}, map[string]any{}
	for name, script := range scripts {
		tasks[name] = map[string]any{"taskInfo": map[string]any{"name": name}, "componentRef": map[string]any{"name": "comp-" + name}}
		comps["comp-"+name] = map[string]any{"executorLabel": "exec-" + name, "outputDefinitions": map[string]any{
			"artifacts": map[string]any{"out": map[string]any{"artifactType": map[string]any{"schemaTitle": "system.Dataset", "schemaVersion": "0.0.1"}}}}}
		execs["exec-"+name] = map[string]any{"container": map[string]any{"image": "alpine",
			"command": []any{"sh", "-c", script, "{{$.outputs.artifacts['out'].path}}"}}}
	}
	return map[string]any{
		"pipelineInfo": map[string]any{"name": "linker"}, "schemaVersion": "2.1.0",
		"root":       map[string]any{"dag": map[string]any{"tasks": tasks}},
		"components": comps, "deploymentSpec": map[string]any{"executors": execs},
	}
}

type linkerTask struct {
	TaskID  string `json:"task_id"`
	State   string `json:"state"`
	Error   string `json:"error"`
	Outputs struct {
		Artifacts map[string][]struct {
			URI string `json:"uri"`
		} `json:"artifacts"`
	} `json:"outputs"`
}

// A step that links its output artifact (or a file of its directory
// artifact) to a file outside its run, or leaves a FIFO there, never has
// the server store or serve that file's bytes, nor hold a request: with
// a local artifact store the run's files stay where the step left them
// and the API refuses the link (403) and the FIFO (404), and leaves the
// link out of the directory's listing; with a bucket the upload fails the
// step naming the artifact and the link (or the FIFO), and the bucket
// holds no byte of the file. As the server's user and, where the test
// runs as root, with --step-user nobody.
func TestLinkedOutputsAreNeverStoredOrServed(t *testing.T) {
	base, err := os.MkdirTemp("", "sluice-linked-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o755)
	secret := filepath.Join(base, "secret")
	const secretText = "the server's secret"
	if err := os.WriteFile(secret, []byte(secretText), 0o600); err != nil {
		t.Fatal(err)
	}
	users := []string{""}
	if os.Geteuid() == 0 {
		if _, err := executor.LookupUser("nobody"); err == nil {
			users = append(users, "nobody")
		}
	}
	for _, user := range users {
		for _, bucket := range []bool{false, true} {
			name := fmt.Sprintf("bucket=%v/user=%q", bucket, user)
			t.Run(name, func(t *testing.T) {
				data := filepath.Join(base, strings.NewReplacer("/", "-", `"`, "").Replace(name))
				if err := os.Mkdir(data, 0o755); err != nil {
					t.Fatal(err)
				}
				var storeURL string
				if bucket {
					storeURL = artifacttest.S3(t, "linked", "arts")
				}
				srvURL := inProcess(t, func(c *server.Config) {
					c.Data, c.StepUser = data, user
					if bucket {
						c.Artifacts = storeURL
					}
				})
				c := &client{t: t, base: srvURL}
				id := c.submit(linkerPipeline(secret))
				r := c.waitTerminal(id, 2*time.Minute)
				var tasks struct {
					Tasks []linkerTask `json:"tasks"`
				}
				if code := c.do("GET", "/apis/sluice/v1/runs/"+id+"/tasks", nil, &tasks); code != 200 {
					t.Fatalf("tasks: %d", code)
				}
				if len(tasks.Tasks) != 3 {
					t.Fatalf("tasks %+v", tasks.Tasks)
				}
				if bucket {
					checkBucketRefused(t, r, tasks.Tasks, storeURL, secretText)
				} else {
					checkLocalNotServed(t, c, r, tasks.Tasks, secretText)
				}
			})
		}
	}
}

func checkBucketRefused(t *testing.T, r wireRun, tasks []linkerTask, storeURL, secretText string) {
	t.Helper()
	if r.State != "FAILED" {
		t.Errorf("run %s, want FAILED", r.State)
	}
	want := map[string][]string{
		"link": {`output artifact "out"`, "is a link out of", "secret"},
		"tree": {`output artifact "out"`, "leak", "is a link out of"},
		"fifo": {`output artifact "out"`, "not a regular file or a directory"},
	}
	for _, tk := range tasks {
		if tk.State != "FAILED" {
			t.Errorf("task %s %s, want FAILED", tk.TaskID, tk.State)
		}
		for _, w := range want[tk.TaskID] {
			if !strings.Contains(tk.Error, w) {
				t.Errorf("task %s: error %q does not say %q", tk.TaskID, tk.Error, w)
			}
		}
	}
	st, err := artifact.Open(context.Background(), storeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for k, v := range artifacttest.Objects(t, st) {
		if strings.Contains(v, secretText) {
			t.Errorf("the bucket holds the secret at %s", k)
		}
	}
}

func checkLocalNotServed(t *testing.T, c *client, r wireRun, tasks []linkerTask, secretText string) {
	t.Helper()
	if r.State != "SUCCEEDED" {
		t.Errorf("run %s %+v, want SUCCEEDED (the files stay in the run's directory)", r.State, r.Error)
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	get := func(q string) (int, string) {
		t.Helper()
		resp, err := hc.Get(c.base + "/apis/sluice/v1/" + q)
		if err != nil {
			t.Fatalf("GET %s: %v", q, err) // a timeout: the server blocked
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if strings.Contains(string(b), secretText) {
			t.Errorf("GET %s served the secret", q)
		}
		return resp.StatusCode, string(b)
	}
	for _, tk := range tasks {
		uri := url.QueryEscape(tk.Outputs.Artifacts["out"][0].URI)
		switch tk.TaskID {
		case "link":
			if code, b := get("artifacts?uri=" + uri); code != 403 {
				t.Errorf("the link: %d %s, want 403", code, b)
			}
			if code, b := get("markdown?uri=" + uri); code != 403 {
				t.Errorf("the link as Markdown: %d %s, want 403", code, b)
			}
		case "tree":
			code, b := get("artifacts?uri=" + uri)
			var listing struct{ Files []string }
			if code != 200 || json.Unmarshal([]byte(b), &listing) != nil || len(listing.Files) != 1 || listing.Files[0] != "ok.txt" {
				t.Errorf("the directory: %d %s, want only ok.txt", code, b)
			}
			if code, b := get("artifacts?uri=" + uri + "&path=leak"); code != 403 {
				t.Errorf("the link in the directory: %d %s, want 403", code, b)
			}
			if code, b := get("artifacts?uri=" + uri + "&path=ok.txt"); code != 200 || b != "mine\n" {
				t.Errorf("the directory's own file: %d %q", code, b)
			}
		case "fifo":
			if code, b := get("artifacts?uri=" + uri); code != 404 {
				t.Errorf("the FIFO: %d %s, want 404", code, b)
			}
			if code, b := get("markdown?uri=" + uri); code != 400 && code != 404 {
				t.Errorf("the FIFO as Markdown: %d %s", code, b)
			}
		}
	}
}
