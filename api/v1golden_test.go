package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/store"
)

// capturedCall is one line of client-capture/req.jsonl: a request the real
// kfp 1.8.22 kfp.Client made (V1.md §4.2).
type capturedCall struct {
	Method      string         `json:"method"`
	Path        string         `json:"path"`
	Query       [][2]string    `json:"query"`
	ContentType string         `json:"content_type"`
	JSON        map[string]any `json:"json"`
	Multipart   *struct {
		Field    string `json:"field"`
		Filename string `json:"filename"`
		Bytes    int    `json:"bytes"`
	} `json:"multipart"`
}

func readCapture(t *testing.T) []capturedCall {
	t.Helper()
	f, err := os.Open(filepath.Join(conformanceDir, "kfp-v1-compiled/client-capture/req.jsonl"))
	if err != nil {
		t.Skipf("skipping: the kfp 1.8 client capture is not here (%v)", err)
	}
	defer f.Close()
	var out []capturedCall
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var c capturedCall
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("req.jsonl: %v", err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// replaceIDs rewrites the capture's ids (exp-1, pl-1, ...) to the server's.
func replaceIDs(v any, ids map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = replaceIDs(e, ids)
		}
	case []any:
		for i, e := range x {
			x[i] = replaceIDs(e, ids)
		}
	case string:
		if r, ok := ids[x]; ok {
			return r
		}
	}
	return v
}

// TestKFPv1ClientReplay replays every request the kfp 1.8 client made in
// the capture (V1.md §4.2) against the server on loopback, with the
// capture's ids replaced by the ones the server gave, and compares each
// request and response with testdata/kfp_v1_client/ (go test ./api -run
// TestKFPv1ClientReplay -update rewrites them).
func TestKFPv1ClientReplay(t *testing.T) {
	calls := readCapture(t)
	ts := newTestServer(t, nil)
	ctx := context.Background()
	// The capture's stub server had a Default experiment.
	if err := ts.st.CreateExperiment(ctx, &store.Experiment{DisplayName: "Default", StorageState: store.Available,
		CreatedAt: time.Date(2026, 8, 1, 9, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	// The package the client uploaded is the workflow it sent inline.
	var pkg []byte
	for _, c := range calls {
		if ps, ok := c.JSON["pipeline_spec"].(map[string]any); ok && ps["workflow_manifest"] != nil {
			pkg = []byte(ps["workflow_manifest"].(string))
			break
		}
	}
	if pkg == nil {
		t.Fatal("the capture has no run with a workflow_manifest")
	}
	g := &v1golden{golden: golden{t: t, dir: "testdata/kfp_v1_client", m: newMasker()}}
	// Steps whose answer is not 200 in this replay.
	wantStatus := map[string]int{
		"get_pipeline":       404, // deleted by the step before
		"runs.terminate_run": 409, // the run has ended
		"runs.retry_run":     409, // it succeeded
		"_get_workflow_json": 404, // deleted by runs.delete_run
	}
	ids := map[string]string{}
	defaultID := ""
	step := ""
	n := 0
	for _, c := range calls {
		if c.Path == "/__mark" {
			step, n = c.Query[0][1], 0
			if step == "wait_for_run_completion" {
				finishRun(t, ts, ids["run-1"])
			}
			continue
		}
		n++
		q := url.Values{}
		for _, kv := range c.Query {
			q.Add(kv[0], fmt.Sprint(replaceIDs(kv[1], ids)))
		}
		path := replaceIDs(c.Path, ids).(string)
		for from, to := range ids {
			path = strings.ReplaceAll(path, "/"+from, "/"+to)
		}
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		req := request{Method: c.Method, Path: path}
		if c.Multipart != nil {
			req.File, req.FileName, req.FormField, req.Upload = pkg, c.Multipart.Filename, c.Multipart.Field, c.Multipart.Filename
		} else {
			// kfp 1.8 sends Content-Type: application/json on every call.
			req.Header = map[string]string{"Content-Type": c.ContentType}
			if c.JSON != nil {
				local := ids
				if step == "create_run_from_pipeline_func" {
					// The client sends the id the server just gave for
					// "Default" (the capture's stub said exp-1).
					local = maps.Clone(ids)
					local["exp-1"] = defaultID
				}
				req.Body = replaceIDs(c.JSON, local)
			}
		}
		resp := ts.do(t, req)
		want := 200
		if s, ok := wantStatus[step]; ok {
			want = s
		}
		if resp.Status != want {
			t.Errorf("%s: %s %s: status %d, want %d: %s", step, c.Method, c.Path, resp.Status, want, resp.Body)
		}
		name := strings.NewReplacer("(", "_", ")", "", ",", "_", ".", "_", "=", "_", " ", "").Replace(step)
		if n > 1 {
			name += fmt.Sprintf("_%d", n)
		}
		body := g.check(name, req, resp)
		// Learn the ids the capture's later calls use.
		switch {
		case step == "create_run_from_pipeline_func" && c.Method == "GET":
			defaultID = body["experiments"].([]any)[0].(map[string]any)["id"].(string)
		case step == "create_experiment(new)" && c.Method == "POST":
			ids["exp-1"] = body["id"].(string)
		case step == "upload_pipeline":
			ids["pl-1"] = body["id"].(string)
			ids["pv-1"] = body["default_version"].(map[string]any)["id"].(string)
		case step == "create_run_from_pipeline_func" && c.Method == "POST":
			ids["run-1"] = body["run"].(map[string]any)["id"].(string)
		case step == "create_recurring_run(interval)":
			ids["job-1"] = body["id"].(string)
		}
	}
	if len(ids) != 5 {
		t.Fatalf("ids learnt: %v", ids)
	}
}

// finishRun plays the executor: the run's one step ran, wrote its output
// and a metric, and the run succeeded.
func finishRun(t *testing.T, ts *testServer, runID string) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 8, 1, 10, 30, 0, 0, time.UTC)
	exit := 0
	if err := ts.st.PutTask(ctx, &store.Task{RunID: runID, ID: "echo", Key: "echo", Name: "echo", Kind: "container",
		State: runstate.Succeeded, Attempts: 1, ExitCode: &exit, Created: t0, Started: t0.Add(time.Second), Finished: t0.Add(3 * time.Second),
		Inputs: []byte(`{"parameters":{"msg":"hi"}}`),
		Outputs: []byte(`{"artifacts":{"mlpipeline-metrics":[{"uri":"/tmp/root/echo/mlpipeline-metrics","type":{"schemaTitle":"system.Metrics"},` +
			`"metadata":{"accuracy":0.9,"_formats":{"accuracy":"PERCENTAGE"}}}]}}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.st.UpdateRun(ctx, runID, func(r *store.Run) error {
		r.State, r.FinishedAt = runstate.Succeeded, t0.Add(4*time.Second)
		r.StateHistory = append(r.StateHistory, store.StateChange{State: runstate.Running, Time: t0}, store.StateChange{State: runstate.Succeeded, Time: r.FinishedAt})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// v1golden masks v1 answers: ids under "id" and in resource references,
// workflow manifests (parsed, with their node ids named by node name).
type v1golden struct {
	golden
}

var nodeIDRE = regexp.MustCompile(`^<workflow>-[0-9]+$`)

func (g *v1golden) check(name string, req request, resp response) map[string]any {
	t := g.t
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(resp.Body, &raw); err != nil {
		t.Fatalf("%s: response is not a JSON object: %v\n%s", name, err, resp.Body)
	}
	var body any
	json.Unmarshal(resp.Body, &body)
	body = g.walkV1(body, kindOfPath(req.Path))
	body = g.replaceStrings(body)
	rec := map[string]any{
		"request":  map[string]any{"method": req.Method, "path": g.m.path(req.Path)},
		"status":   resp.Status,
		"response": body,
	}
	r := rec["request"].(map[string]any)
	if req.Body != nil {
		b, _ := json.Marshal(req.Body)
		var v any
		json.Unmarshal(b, &v)
		r["body"] = g.replaceStrings(g.walkV1(v, kindOfPath(req.Path)))
	}
	if req.Upload != "" {
		r["multipart"] = map[string]any{req.FormField: req.Upload}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rec); err != nil {
		t.Fatal(err)
	}
	g.n++
	file := filepath.Join(g.dir, fmt.Sprintf("%02d_%s.json", g.n, name))
	if *update {
		if err := os.MkdirAll(g.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return raw
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./api -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n--- got\n%s\n--- want\n%s", file, buf.Bytes(), want)
	}
	return raw
}

func kindOfPath(p string) string {
	p = strings.TrimPrefix(p, v1prefix+"/")
	switch {
	case strings.HasPrefix(p, "experiments"):
		return "experiment"
	case strings.HasPrefix(p, "pipeline_versions"), strings.HasPrefix(p, "pipelines/upload_version"):
		return "version"
	case strings.HasPrefix(p, "pipelines"):
		return "pipeline"
	case strings.HasPrefix(p, "runs"):
		return "run"
	case strings.HasPrefix(p, "jobs"):
		return "job"
	}
	return "id"
}

var childKinds = map[string]string{"experiments": "experiment", "pipelines": "pipeline", "default_version": "version",
	"versions": "version", "run": "run", "runs": "run", "jobs": "job"}

// walkV1 masks ids (kind says what an "id" names), times and tokens, and
// parses workflow manifests.
func (g *v1golden) walkV1(v any, kind string) any {
	switch x := v.(type) {
	case map[string]any:
		if key, ok := x["key"].(map[string]any); ok {
			if typ, ok := key["type"].(string); ok {
				if id, _ := key["id"].(string); id != "" {
					key["id"] = g.m.id(strings.ToLower(typ)+"_id", id)
				}
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s, isStr := x[k].(string)
			switch {
			case k == "key":
			case isStr && s != "" && k == "id":
				x[k] = g.m.id(kind+"_id", s)
			case isStr && s != "" && (k == "pipeline_id" || k == "node_id"):
				x[k] = g.m.id(k, s)
			case isStr && s != "" && (isTimeKey(k) || k == "startedAt" || k == "finishedAt" || k == "creationTimestamp"):
				x[k] = "<time>"
			case isStr && s != "" && k == "next_page_token":
				x[k] = "<token>"
			case isStr && strings.HasPrefix(s, "{") && (k == "workflow_manifest" || k == "pipeline_manifest"):
				var m any
				if err := json.Unmarshal([]byte(s), &m); err != nil {
					g.t.Fatalf("%s is not JSON: %v", k, err)
				}
				x[k] = map[string]any{"(JSON text)": maskTimes(g.workflow(m))}
			default:
				ck := kind
				if c, ok := childKinds[k]; ok {
					ck = c
				}
				x[k] = g.walkV1(x[k], ck)
			}
		}
	case []any:
		for i := range x {
			x[i] = g.walkV1(x[i], kind)
		}
	}
	return v
}

// workflow names a synthesized workflow "<workflow>" and its nodes by
// their names, so the tree reads the same on every run.
func (g *v1golden) workflow(v any) any {
	wf, ok := v.(map[string]any)
	if !ok {
		return v
	}
	status, _ := wf["status"].(map[string]any)
	md, _ := wf["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	if status == nil || name == "" {
		return v
	}
	nodes, _ := status["nodes"].(map[string]any)
	renamed := map[string]any{}
	for id, n := range nodes {
		nn := n.(map[string]any)
		nname := strings.ReplaceAll(nn["name"].(string), name, "<workflow>")
		g.m.ids[id] = "<node " + nname + ">"
		renamed["<node "+nname+">"] = n
	}
	status["nodes"] = renamed
	g.m.ids[name] = "<workflow>"
	return v
}

// maskTimes masks the timestamps of a workflow.
func maskTimes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && s != "" && (k == "startedAt" || k == "finishedAt" || k == "creationTimestamp" || isTimeKey(k)) {
				x[k] = "<time>"
				continue
			}
			x[k] = maskTimes(e)
		}
	case []any:
		for i, e := range x {
			x[i] = maskTimes(e)
		}
	}
	return v
}

// replaceStrings replaces the ids the masker knows inside every string.
func (g *v1golden) replaceStrings(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = g.replaceStrings(e)
		}
	case []any:
		for i, e := range x {
			x[i] = g.replaceStrings(e)
		}
	case string:
		if p, ok := g.m.ids[x]; ok {
			return p
		}
		ids := make([]string, 0, len(g.m.ids))
		for id := range g.m.ids {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return len(ids[i]) > len(ids[j]) })
		for _, id := range ids {
			if strings.Contains(x, id) {
				x = strings.ReplaceAll(x, id, g.m.ids[id])
			}
		}
		if nodeIDRE.MatchString(x) {
			return "<node id>"
		}
		return x
	}
	return v
}
