package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixture is what the bad-request cases refer to.
type fixture struct {
	pipelineID string // a pipeline with one version ("params")
	versionID  string
	expID      string // an experiment named "exp"
	spec       map[string]any
}

func setupFixture(t *testing.T, ts *testServer) fixture {
	t.Helper()
	pkg := readFile(t, "testdata/params.yaml")
	p := ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload", File: pkg, FileName: "params.yaml"})
	vs := ts.mustDo(t, request{Method: "GET", Path: "/apis/v2beta1/pipelines/" + p["pipeline_id"].(string) + "/versions"})
	e := ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/experiments", Body: map[string]any{"display_name": "exp"}})
	return fixture{
		pipelineID: p["pipeline_id"].(string),
		versionID:  vs["pipeline_versions"].([]any)[0].(map[string]any)["pipeline_version_id"].(string),
		expID:      e["experiment_id"].(string),
		spec:       yamlToJSON(t, pkg),
	}
}

type badCase struct {
	name   string
	req    request
	status int
	msg    string // substring of the error message
	v1     bool   // the upload error shape
}

func q(s string) string { return url.QueryEscape(s) }

func badCases(t *testing.T, f fixture) []badCase {
	run := func(extra map[string]any) map[string]any {
		body := map[string]any{"display_name": "r", "experiment_id": f.expID}
		for k, v := range extra {
			body[k] = v
		}
		return body
	}
	params := func(p map[string]any) map[string]any {
		return run(map[string]any{"pipeline_spec": f.spec, "runtime_config": map[string]any{"parameters": p}})
	}
	big := make([]byte, 70<<10)
	for i := range big {
		big[i] = '#'
	}
	cases := []badCase{
		{"malformed JSON", request{Method: "POST", Path: "/apis/v2beta1/experiments", RawBody: `{"display_name": `}, 400, "malformed JSON body: unexpected end of JSON input", false},
		{"JSON array body", request{Method: "POST", Path: "/apis/v2beta1/experiments", RawBody: `[1]`}, 400, "must be a JSON object", false},
		{"wrong field type", request{Method: "POST", Path: "/apis/v2beta1/experiments", RawBody: `{"display_name": 3}`}, 400, "field display_name", false},
		{"empty body", request{Method: "POST", Path: "/apis/v2beta1/runs", RawBody: " "}, 400, "empty request body", false},
		{"oversized JSON body", request{Method: "POST", Path: "/apis/v2beta1/experiments", RawBody: `{"display_name": "` + string(big) + `"}`}, 413, "larger than the 65536-byte limit", false},
		{"unknown pipeline id", request{Method: "GET", Path: "/apis/v2beta1/pipelines/nope"}, 404, `pipeline "nope" not found`, false},
		{"unknown pipeline name", request{Method: "GET", Path: "/apis/v2beta1/pipelines/names/nope"}, 404, `"nope" not found`, false},
		{"unknown version", request{Method: "GET", Path: "/apis/v2beta1/pipelines/" + f.pipelineID + "/versions/nope"}, 404, `pipeline version "nope" not found`, false},
		{"version of another pipeline", request{Method: "GET", Path: "/apis/v2beta1/pipelines/other/versions/" + f.versionID}, 404, `not found in pipeline "other"`, false},
		{"unknown run id", request{Method: "GET", Path: "/apis/v2beta1/runs/nope"}, 404, `run "nope" not found`, false},
		{"terminate unknown run", request{Method: "POST", Path: "/apis/v2beta1/runs/nope:terminate"}, 404, `run "nope" not found`, false},
		{"unknown experiment", request{Method: "GET", Path: "/apis/v2beta1/experiments/nope"}, 404, `experiment "nope" not found`, false},
		{"unknown recurring run", request{Method: "POST", Path: "/apis/v2beta1/recurringruns/nope:enable"}, 404, `recurring run "nope" not found`, false},
		{"bad filter JSON", request{Method: "GET", Path: "/apis/v2beta1/runs?filter=" + q(`{"predicates": [`)}, 400, "filter: malformed JSON", false},
		{"filter not an object", request{Method: "GET", Path: "/apis/v2beta1/runs?filter=" + q(`[]`)}, 400, "filter: expected a JSON object", false},
		{"unknown filter key", request{Method: "GET", Path: "/apis/v2beta1/runs?filter=" + q(`{"predicates":[{"operation":"EQUALS","key":"bogus","string_value":"x"}]}`)}, 400, "bogus", false},
		{"unknown filter operation", request{Method: "GET", Path: "/apis/v2beta1/runs?filter=" + q(`{"predicates":[{"operation":4,"key":"state","string_value":"x"}]}`)}, 400, "unknown enum number 4", false},
		{"filter without value", request{Method: "GET", Path: "/apis/v2beta1/runs?filter=" + q(`{"predicates":[{"operation":"EQUALS","key":"state"}]}`)}, 400, `key "state" has no value`, false},
		{"IN without a list", request{Method: "GET", Path: "/apis/v2beta1/runs?filter=" + q(`{"predicates":[{"operation":"IN","key":"state","string_value":"x"}]}`)}, 400, "IN needs", false},
		{"bad filter timestamp", request{Method: "GET", Path: "/apis/v2beta1/runs?filter=" + q(`{"predicates":[{"operation":"GREATER_THAN","key":"created_at","timestamp_value":"yesterday"}]}`)}, 400, "timestamp_value", false},
		{"IN of 32,767 values", request{Method: "GET", Path: "/apis/v2beta1/runs?filter=" + q(bigIn(32_767))}, 400, "more than the limit of 1000", false},
		{"1,000 predicates", request{Method: "GET", Path: "/apis/v2beta1/runs?filter=" + q(manyPredicates(1000))}, 400, "1000 predicates, more than the limit of 100", false},
		{"bad sort key", request{Method: "GET", Path: "/apis/v2beta1/runs?sort_by=bogus"}, 400, "bogus", false},
		{"bad sort direction", request{Method: "GET", Path: "/apis/v2beta1/runs?sort_by=" + q("created_at sideways")}, 400, "the direction must be asc or desc", false},
		{"bad page token", request{Method: "GET", Path: "/apis/v2beta1/runs?page_token=garbage"}, 400, "page token", false},
		{"page token of another list", request{Method: "GET", Path: "/apis/v2beta1/experiments?page_token=" + runsPageToken}, 400, "page token", false},
		{"negative page_size", request{Method: "GET", Path: "/apis/v2beta1/runs?page_size=-1"}, 400, "page_size must not be negative", false},
		{"page_size not a number", request{Method: "GET", Path: "/apis/v2beta1/pipelines?page_size=ten"}, 400, "page_size: expected an integer", false},
		{"oversized upload", request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload?name=big", File: big, FileName: "big.yaml"}, 413, "larger than the 65536-byte limit", true},
		{"upload without uploadfile", request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload?name=x", File: []byte("x"), FileName: "x.yaml", FormField: "file"}, 400, `no form file "uploadfile"`, true},
		{"upload not multipart", request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload", Body: map[string]any{}}, 415, "multipart/form-data", true},
		{"upload bad tags", request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload?tags=" + q(`{"a.b":"c"}`), File: []byte("x"), FileName: "x.yaml"}, 400, `key "a.b" must not contain`, true},
		{"upload_version without pipelineid", request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload_version?name=v", File: readFile(t, "testdata/params.yaml"), FileName: "p.yaml"}, 400, "pipelineid query parameter is required", true},
		{"upload_version unknown pipeline", request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload_version?pipelineid=nope", File: readFile(t, "testdata/params.yaml"), FileName: "p.yaml"}, 404, `pipeline "nope" not found`, true},
		{"upload_version duplicate name", request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload_version?name=params&pipelineid=" + f.pipelineID, File: readFile(t, "testdata/params.yaml"), FileName: "p.yaml"}, 409, `already has a version named "params"`, true},
		{"duplicate pipeline upload", request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload", File: readFile(t, "testdata/params.yaml"), FileName: "params.yaml"}, 409, `a pipeline named "params" already exists`, true},
		{"duplicate pipeline create", request{Method: "POST", Path: "/apis/v2beta1/pipelines", Body: map[string]any{"name": "params"}}, 409, `a pipeline named "params" already exists`, false},
		{"pipeline without name", request{Method: "POST", Path: "/apis/v2beta1/pipelines", Body: map[string]any{"description": "x"}}, 400, "needs a name", false},
		{"pipeline bad tags", request{Method: "POST", Path: "/apis/v2beta1/pipelines", Body: map[string]any{"name": "t", "tags": map[string]any{"k": strings.Repeat("v", 64)}}}, 400, "longer than 63", false},
		{"create with package_url", request{Method: "POST", Path: "/apis/v2beta1/pipelines/create", Body: map[string]any{"pipeline": map[string]any{"name": "u"}, "pipeline_version": map[string]any{"package_url": map[string]any{"pipeline_url": "http://127.0.0.1:1/p.yaml"}}}}, 400, "pipeline_version.package_url.pipeline_url: could not fetch http://127.0.0.1:1/p.yaml: ", false},
		{"create with ftp package_url", request{Method: "POST", Path: "/apis/v2beta1/pipelines/create", Body: map[string]any{"pipeline": map[string]any{"name": "u"}, "pipeline_version": map[string]any{"package_url": map[string]any{"pipeline_url": "ftp://127.0.0.1/p.yaml"}}}}, 400, `unsupported scheme "ftp"`, false},
		{"create without a version spec", request{Method: "POST", Path: "/apis/v2beta1/pipelines/create", Body: map[string]any{"pipeline": map[string]any{"name": "u"}, "pipeline_version": map[string]any{"name": "v"}}}, 400, "pipeline_version.pipeline_spec or pipeline_version.package_url is required", false},
		{"version with package_url", request{Method: "POST", Path: "/apis/v2beta1/pipelines/" + f.pipelineID + "/versions", Body: map[string]any{"name": "u", "package_url": map[string]any{"pipeline_url": "file:///tmp/p.yaml"}}}, 400, "file URLs are not fetched", false},
		{"version with invalid inline spec", request{Method: "POST", Path: "/apis/v2beta1/pipelines/" + f.pipelineID + "/versions", Body: map[string]any{"name": "u", "pipeline_spec": map[string]any{"schemaVersion": "2.1.0"}}}, 400, "invalid pipeline_spec", false},
		{"duplicate experiment", request{Method: "POST", Path: "/apis/v2beta1/experiments", Body: map[string]any{"display_name": "exp"}}, 409, `an experiment named "exp" already exists`, false},
		{"experiment without name", request{Method: "POST", Path: "/apis/v2beta1/experiments", Body: map[string]any{}}, 400, "needs a display_name", false},
		{"delete pipeline with versions", request{Method: "DELETE", Path: "/apis/v2beta1/pipelines/" + f.pipelineID}, 409, "still has versions", false},
		{"delete pipeline bad cascade", request{Method: "DELETE", Path: "/apis/v2beta1/pipelines/" + f.pipelineID + "?cascade=maybe"}, 400, "cascade: expected true or false", false},
		{"run with unknown parameter", request{Method: "POST", Path: "/apis/v2beta1/runs", Body: params(map[string]any{"count": 1, "nope": 1})}, 400, `runtime_config.parameters: parameter "nope": unknown parameter (known: count, flag, greeting)`, false},
		{"run with wrong type", request{Method: "POST", Path: "/apis/v2beta1/runs", Body: params(map[string]any{"count": "abc"})}, 400, `parameter "count": expected an integer`, false},
		{"run with non-integral number", request{Method: "POST", Path: "/apis/v2beta1/runs", Body: params(map[string]any{"count": 1.5})}, 400, `parameter "count": expected an integer`, false},
		{"run missing required parameter", request{Method: "POST", Path: "/apis/v2beta1/runs", Body: params(map[string]any{"greeting": "yo"})}, 400, `parameter "count": required parameter has no value`, false},
		{"run parameters not an object", request{Method: "POST", Path: "/apis/v2beta1/runs", Body: run(map[string]any{"pipeline_spec": f.spec, "runtime_config": map[string]any{"parameters": []any{1}}})}, 400, "runtime_config.parameters must be a JSON object", false},
		{"run with spec and reference", request{Method: "POST", Path: "/apis/v2beta1/runs", Body: run(map[string]any{"pipeline_spec": f.spec, "pipeline_version_reference": map[string]any{"pipeline_id": f.pipelineID}})}, 400, "more than one pipeline source", false},
		{"run with neither spec nor reference", request{Method: "POST", Path: "/apis/v2beta1/runs", Body: run(nil)}, 400, "has no pipeline: set pipeline_spec or pipeline_version_reference", false},
		{"run with unknown pipeline", request{Method: "POST", Path: "/apis/v2beta1/runs", Body: run(map[string]any{"pipeline_version_reference": map[string]any{"pipeline_id": "nope"}})}, 404, `pipeline "nope" not found`, false},
		{"run with unknown version", request{Method: "POST", Path: "/apis/v2beta1/runs", Body: run(map[string]any{"pipeline_version_id": "nope"})}, 404, `pipeline version "nope" not found`, false},
		{"run with invalid spec", request{Method: "POST", Path: "/apis/v2beta1/runs", Body: run(map[string]any{"pipeline_spec": map[string]any{"pipelineInfo": map[string]any{"name": "x"}}})}, 400, "invalid pipeline_spec", false},
		{"run with unknown experiment", request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{"experiment_id": "nope", "pipeline_spec": f.spec, "runtime_config": map[string]any{"parameters": map[string]any{"count": 1}}}}, 404, `experiment "nope" not found`, false},
		{"recurring run without trigger", request{Method: "POST", Path: "/apis/v2beta1/recurringruns", Body: run(map[string]any{"pipeline_version_reference": map[string]any{"pipeline_id": f.pipelineID}, "runtime_config": map[string]any{"parameters": map[string]any{"count": 1}}})}, 400, "trigger is required", false},
		{"recurring run bad cron", request{Method: "POST", Path: "/apis/v2beta1/recurringruns", Body: run(map[string]any{"pipeline_version_reference": map[string]any{"pipeline_id": f.pipelineID}, "trigger": map[string]any{"cron_schedule": map[string]any{"cron": "every day"}}})}, 400, "expected 6 fields", false},
		{"recurring run bad interval", request{Method: "POST", Path: "/apis/v2beta1/recurringruns", Body: run(map[string]any{"pipeline_version_reference": map[string]any{"pipeline_id": f.pipelineID}, "trigger": map[string]any{"periodic_schedule": map[string]any{"interval_second": "0"}}})}, 400, "interval_second must be at least 1", false},
		{"recurring run max_concurrency", request{Method: "POST", Path: "/apis/v2beta1/recurringruns", Body: run(map[string]any{"max_concurrency": "11", "pipeline_version_reference": map[string]any{"pipeline_id": f.pipelineID}, "trigger": map[string]any{"periodic_schedule": map[string]any{"interval_second": 60}}})}, 400, "max_concurrency must be between 1 and 10", false},
		{"recurring run bad mode", request{Method: "POST", Path: "/apis/v2beta1/recurringruns", Body: run(map[string]any{"mode": "ON", "pipeline_version_reference": map[string]any{"pipeline_id": f.pipelineID}, "trigger": map[string]any{"periodic_schedule": map[string]any{"interval_second": 60}}})}, 400, `mode: unknown value "ON"`, false},
		{"recurring run bad int64", request{Method: "POST", Path: "/apis/v2beta1/recurringruns", Body: run(map[string]any{"max_concurrency": "lots"})}, 400, "expected an integer", false},
		{"recurring run end before start", request{Method: "POST", Path: "/apis/v2beta1/recurringruns", Body: run(map[string]any{"pipeline_version_reference": map[string]any{"pipeline_id": f.pipelineID}, "trigger": map[string]any{"cron_schedule": map[string]any{"cron": "@hourly", "start_time": "2026-08-02T00:00:00Z", "end_time": "2026-08-01T00:00:00Z"}}})}, 400, "end_time must be after start_time", false},
		{"wrong method on collection", request{Method: "PUT", Path: "/apis/v2beta1/runs"}, 405, "method PUT is not allowed", false},
		{"wrong method on resource", request{Method: "PATCH", Path: "/apis/v2beta1/runs/x"}, 405, "method PATCH is not allowed", false},
		{"unknown action", request{Method: "POST", Path: "/apis/v2beta1/runs/x:explode"}, 405, "method POST is not allowed", false},
		{"unknown route", request{Method: "GET", Path: "/apis/v2beta1/nothing"}, 404, "no such API route", false},
		{"other API version", request{Method: "GET", Path: "/apis/v1alpha1/runs"}, 404, "no such API route", false},
	}
	// Every upload KFP itself refuses is refused, naming the problem.
	dir := filepath.Join(conformanceDir, "kfp-invalid")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Logf("no %s: skipping its upload cases (%v)", dir, err)
	}
	for _, e := range entries {
		msg := "the uploaded file \"" + e.Name() + "\" is not a valid pipeline"
		if e.Name() == "no_name.yaml" {
			msg += ": pipelineInfo.name"
		}
		cases = append(cases, badCase{"upload kfp-invalid/" + e.Name(), request{Method: "POST",
			Path: "/apis/v2beta1/pipelines/upload?name=" + q("invalid-"+e.Name()),
			File: readFile(t, filepath.Join(dir, e.Name())), FileName: e.Name()}, 400, msg, true})
	}
	return cases
}

// runsPageToken is a well-formed page token of the runs list, which the
// experiments list refuses.
const runsPageToken = "eyJraW5kIjoicnVucyIsInNvcnQiOiJjcmVhdGVkX2F0IiwiaWQiOiJ4In0"

// bigIn is a filter of one IN predicate with n values.
func bigIn(n int) string {
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprint(i)
	}
	b, _ := json.Marshal(map[string]any{"predicates": []any{map[string]any{"key": "run_id", "operation": "IN", "string_values": map[string]any{"values": vals}}}})
	return string(b)
}

// manyPredicates is a filter of n predicates.
func manyPredicates(n int) string {
	preds := make([]any, n)
	for i := range preds {
		preds[i] = map[string]any{"key": "display_name", "operation": "NOT_EQUALS", "string_value": fmt.Sprint(i)}
	}
	b, _ := json.Marshal(map[string]any{"predicates": preds})
	return string(b)
}

func TestBadRequests(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxUploadBytes = 64 << 10 })
	f := setupFixture(t, ts)
	for _, c := range badCases(t, f) {
		t.Run(c.name, func(t *testing.T) {
			resp := ts.do(t, c.req)
			if resp.Status != c.status {
				t.Errorf("status %d, want %d: %s", resp.Status, c.status, resp.Body)
			}
			var body map[string]any
			if err := json.Unmarshal(resp.Body, &body); err != nil {
				t.Fatalf("error body is not JSON: %v: %s", err, resp.Body)
			}
			var msg string
			if c.v1 {
				msg, _ = body["error_message"].(string)
				if _, ok := body["error_details"]; !ok {
					t.Errorf("upload error lacks error_details: %s", resp.Body)
				}
			} else {
				msg, _ = body["message"].(string)
				code, _ := body["code"].(float64)
				details, _ := body["details"].([]any)
				if code == 0 || len(details) != 1 {
					t.Errorf("not a google.rpc.Status body: %s", resp.Body)
				} else if d := details[0].(map[string]any); d["@type"] != "type.googleapis.com/google.rpc.Status" || d["code"] != code {
					t.Errorf("bad status detail: %s", resp.Body)
				}
			}
			t.Logf("%d %s", resp.Status, msg)
			if !strings.Contains(msg, c.msg) {
				t.Errorf("message %q does not contain %q", msg, c.msg)
			}
			if resp.Status == http.StatusMethodNotAllowed && resp.Header.Get("Allow") == "" {
				t.Errorf("405 without an Allow header")
			}
		})
	}
	// Nothing above created anything.
	runs := ts.mustDo(t, request{Method: "GET", Path: "/apis/v2beta1/runs"})
	if len(runs) != 0 {
		t.Errorf("refused requests left runs behind: %v", runs)
	}
}

func TestToken(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Token = "s3cret" })
	for _, c := range []struct {
		name   string
		req    request
		status int
		msg    string
	}{
		{"no token", request{Method: "GET", Path: "/apis/v2beta1/runs", NoAuthAuto: true}, 401, "unauthenticated"},
		{"wrong token", request{Method: "GET", Path: "/apis/v2beta1/runs", NoAuthAuto: true, Header: map[string]string{"Authorization": "Bearer nope"}}, 401, "unauthenticated"},
		{"not bearer", request{Method: "GET", Path: "/apis/v2beta1/runs", NoAuthAuto: true, Header: map[string]string{"Authorization": "Basic czNjcmV0"}}, 401, "unauthenticated"},
		{"upload without token", request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload", NoAuthAuto: true, File: []byte("x"), FileName: "x.yaml"}, 401, "unauthenticated"},
		{"unknown route without token", request{Method: "GET", Path: "/apis/v2beta1/nothing", NoAuthAuto: true}, 401, "unauthenticated"},
		{"healthz needs none", request{Method: "GET", Path: "/apis/v2beta1/healthz", NoAuthAuto: true}, 200, ""},
		{"right token", request{Method: "GET", Path: "/apis/v2beta1/runs"}, 200, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := ts.do(t, c.req)
			if resp.Status != c.status {
				t.Errorf("status %d, want %d: %s", resp.Status, c.status, resp.Body)
			}
			if !strings.Contains(string(resp.Body), c.msg) {
				t.Errorf("body %s does not contain %q", resp.Body, c.msg)
			}
		})
	}
}

func TestAuthorized(t *testing.T) {
	for h, want := range map[string]bool{
		"Bearer s3cret": true, "bearer s3cret": true, "BEARER  s3cret ": true, " Bearer s3cret": true,
		"Bearer s3cre": false, "Bearer": false, "Bearers3cret": false, "Basic s3cret": false, "": false, "s3cret": false,
	} {
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", h)
		if got := Authorized(r, "s3cret"); got != want {
			t.Errorf("Authorization %q: %v, want %v", h, got, want)
		}
	}
}
