package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/wire"
)

// request is what the fake server saw.
type request struct {
	Method string
	Path   string // escaped path
	Query  url.Values
	Header http.Header
	Body   []byte
}

// fake serves canned answers and records the requests. The handler
// answers each request with status and body.
type fake struct {
	mu   sync.Mutex
	reqs []request
	srv  *httptest.Server
}

func newFake(t *testing.T, answer func(r request) (int, string)) (*fake, *client.Client) {
	t.Helper()
	f := &fake{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		req := request{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(), Header: r.Header.Clone(), Body: b}
		f.mu.Lock()
		f.reqs = append(f.reqs, req)
		f.mu.Unlock()
		status, body := answer(req)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(f.srv.Close)
	return f, client.New(f.srv.URL+"/", "tok", f.srv.Client())
}

func (f *fake) only(t *testing.T) request {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(f.reqs))
	}
	return f.reqs[0]
}

// sameJSON compares two JSON texts by value.
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body:\n%s\nwant:\n%s", got, want)
	}
}

var ctx = context.Background()

// Canned answers in KFP's JSON (API.md §1.4).
const (
	pipelineJSON = `{"pipeline_id":"p1","display_name":"two-step","name":"two-step","description":"d",
		"created_at":"2026-01-02T03:04:05Z","tags":{"team":"ml"}}`
	versionJSON = `{"pipeline_id":"p1","pipeline_version_id":"v1","display_name":"two-step","name":"two-step",
		"created_at":"2026-01-02T03:04:05.123Z","package_url":{"pipeline_url":"http://x/p.yaml"},
		"pipeline_spec":{"pipelineInfo":{"name":"two-step"},"schemaVersion":"2.1.0"}}`
	experimentJSON = `{"experiment_id":"e1","display_name":"exp","description":"d","created_at":"2026-01-02T03:04:05Z",
		"storage_state":"AVAILABLE","last_run_created_at":"2026-01-03T00:00:00Z"}`
	runJSON = `{"experiment_id":"e1","run_id":"r1","display_name":"my run","storage_state":"AVAILABLE",
		"pipeline_version_reference":{"pipeline_id":"p1","pipeline_version_id":"v1"},
		"runtime_config":{"parameters":{"lr":0.1,"epochs":3,"tags":["a"]},"pipeline_root":"s3://b/r"},
		"created_at":"2026-01-02T03:04:05Z","scheduled_at":"2026-01-02T03:04:05Z","finished_at":"2026-01-02T03:05:05Z",
		"state":"FAILED","error":{"code":2,"message":"step train failed"},
		"run_details":{"pipeline_context_id":"12","task_details":[
			{"run_id":"r1","task_id":"t1","display_name":"train","create_time":"2026-01-02T03:04:06Z",
			 "start_time":"2026-01-02T03:04:07Z","end_time":"2026-01-02T03:04:09Z","state":"FAILED",
			 "execution_id":"42","error":{"code":2,"message":"exit 1"},
			 "inputs":{"data":{"artifact_ids":["7","8"]}},"parent_task_id":"root","pod_name":"pod-1",
			 "executor_detail":{"main_job":"job-1"},
			 "state_history":[{"update_time":"2026-01-02T03:04:07Z","state":"RUNNING"}],
			 "child_tasks":[{"task_id":"t2"},{"pod_name":"pod-2"}]}]},
		"state_history":[{"update_time":"2026-01-02T03:04:05Z","state":"PENDING"},
			{"update_time":"2026-01-02T03:05:05Z","state":"FAILED","error":{"message":"step train failed"}}]}`
	recurringJSON = `{"recurring_run_id":"rr1","display_name":"nightly","pipeline_version_reference":{"pipeline_id":"p1"},
		"runtime_config":{"parameters":{"n":4}},"max_concurrency":"2",
		"trigger":{"periodic_schedule":{"interval_second":"3600"}},"mode":"ENABLE","status":"ENABLED",
		"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z","no_catchup":true,"experiment_id":"e1"}`
)

func TestHealthzAndToken(t *testing.T) {
	f, c := newFake(t, func(request) (int, string) {
		return 200, `{"commit_sha":"abc","tag_name":"v1","multi_user":false,"pipeline_store":"database"}`
	})
	h, err := c.Healthz(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.CommitSHA != "abc" || h.TagName != "v1" || h.MultiUser || h.PipelineStore != "database" {
		t.Errorf("healthz %+v", h)
	}
	r := f.only(t)
	if r.Method != "GET" || r.Path != "/apis/v2beta1/healthz" {
		t.Errorf("%s %s", r.Method, r.Path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer tok" {
		t.Errorf("Authorization %q", got)
	}
}

func TestBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8888":                    "http://127.0.0.1:8888",
		"http://h:1/":                       "http://h:1",
		"https://kf.example.com/pipeline//": "https://kf.example.com/pipeline",
	} {
		if got := client.New(in, "", nil).BaseURL(); got != want {
			t.Errorf("New(%q).BaseURL() = %q, want %q", in, got, want)
		}
	}
	// A path prefix is kept in front of /apis/v2beta1.
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Path
		_, _ = io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	if _, err := client.New(srv.URL+"/pipeline", "", nil).Healthz(ctx); err != nil {
		t.Fatal(err)
	}
	if got != "/pipeline/apis/v2beta1/healthz" {
		t.Errorf("path %q", got)
	}
}

func TestUploadPipeline(t *testing.T) {
	f, c := newFake(t, func(request) (int, string) { return 200, pipelineJSON })
	p, err := c.UploadPipeline(ctx, "dir/two-step.yaml", []byte("pipelineInfo: {name: x}\n"), "two-step", "d")
	if err != nil {
		t.Fatal(err)
	}
	want := wire.Pipeline{PipelineID: "p1", DisplayName: "two-step", Name: "two-step", Description: "d",
		CreatedAt: wire.Time(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), Tags: map[string]string{"team": "ml"}}
	if !reflect.DeepEqual(*p, want) {
		t.Errorf("pipeline %+v\nwant %+v", *p, want)
	}
	r := f.only(t)
	if r.Method != "POST" || r.Path != "/apis/v2beta1/pipelines/upload" {
		t.Errorf("%s %s", r.Method, r.Path)
	}
	if !reflect.DeepEqual(r.Query, url.Values{"name": {"two-step"}, "description": {"d"}}) {
		t.Errorf("query %v", r.Query)
	}
	name, data := formFile(t, r)
	if name != "two-step.yaml" || data != "pipelineInfo: {name: x}\n" {
		t.Errorf("uploadfile %q: %q", name, data)
	}
}

// formFile returns the name and content of the multipart field uploadfile.
func formFile(t *testing.T, r request) (string, string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		t.Fatalf("Content-Type %q: %v", r.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(strings.NewReader(string(r.Body)), params["boundary"])
	part, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if part.FormName() != "uploadfile" {
		t.Errorf("form field %q, want uploadfile", part.FormName())
	}
	b, _ := io.ReadAll(part)
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("more than one part: %v", err)
	}
	return part.FileName(), string(b)
}

func TestUploadPipelineVersion(t *testing.T) {
	f, c := newFake(t, func(request) (int, string) { return 200, versionJSON })
	v, err := c.UploadPipelineVersion(ctx, "p1", "p.json", []byte("{}"), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if v.PipelineVersionID != "v1" || v.PackageURL.PipelineURL != "http://x/p.yaml" ||
		!v.CreatedAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 123e6, time.UTC)) {
		t.Errorf("version %+v", v)
	}
	sameJSON(t, v.PipelineSpec, `{"pipelineInfo":{"name":"two-step"},"schemaVersion":"2.1.0"}`)
	r := f.only(t)
	if r.Path != "/apis/v2beta1/pipelines/upload_version" || !reflect.DeepEqual(r.Query, url.Values{"pipelineid": {"p1"}}) {
		t.Errorf("%s ? %v", r.Path, r.Query)
	}
	if name, data := formFile(t, r); name != "p.json" || data != "{}" {
		t.Errorf("uploadfile %q: %q", name, data)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   client.APIError
	}{
		{"rpc status", 404, `{"code":5,"message":"run r9 not found","details":[{"@type":"type.googleapis.com/google.rpc.Status","code":5,"message":"run r9 not found"}]}`,
			client.APIError{Status: 404, Code: 5, Message: "run r9 not found"}},
		{"details only", 400, `{"code":3,"details":[{"code":3,"message":"bad filter"}]}`,
			client.APIError{Status: 400, Code: 3, Message: "bad filter"}},
		{"v1 shape", 409, `{"error_message":"a pipeline named \"x\" already exists","error_details":"Failed to create: ..."}`,
			client.APIError{Status: 409, Message: `a pipeline named "x" already exists`}},
		{"v1 details only", 400, `{"error_details":"Failed: bad file"}`,
			client.APIError{Status: 400, Message: "Failed: bad file"}},
		{"text", 502, "Bad Gateway\n", client.APIError{Status: 502, Message: "Bad Gateway"}},
		{"empty", 500, "", client.APIError{Status: 500}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, c := newFake(t, func(request) (int, string) { return tc.status, tc.body })
			_, err := c.GetRun(ctx, "r9")
			var ae *client.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %T %v, want *APIError", err, err)
			}
			if *ae != tc.want {
				t.Errorf("got %+v, want %+v", *ae, tc.want)
			}
			if ae.Error() == "" {
				t.Error("empty message")
			}
			if client.IsNotFound(err) != (tc.status == 404) {
				t.Errorf("IsNotFound = %v", client.IsNotFound(err))
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = client.New(addr, "", nil).Healthz(ctx)
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("error %T %v, want *url.Error", err, err)
	}
}

// call is one client method call and the request it must send.
type call struct {
	name   string
	do     func(c *client.Client) (any, error)
	method string
	path   string
	query  url.Values
	body   string // JSON, "" for none
	answer string
	check  func(t *testing.T, got any)
}

func TestCalls(t *testing.T) {
	opts := client.ListOptions{PageSize: 5, PageToken: "tk", SortBy: "created_at desc", Filter: client.Equals("display_name", "x")}
	optsQ := url.Values{"page_size": {"5"}, "page_token": {"tk"}, "sort_by": {"created_at desc"},
		"filter": {`{"predicates":[{"operation":"EQUALS","key":"display_name","string_value":"x"}]}`}}
	none := func(*testing.T, any) {}
	cases := []call{
		{name: "ListPipelines", do: func(c *client.Client) (any, error) { return c.ListPipelines(ctx, opts) },
			method: "GET", path: "/pipelines", query: optsQ,
			answer: `{"pipelines":[` + pipelineJSON + `],"total_size":7,"next_page_token":"n2"}`,
			check: func(t *testing.T, got any) {
				r := got.(*wire.ListPipelinesResponse)
				if len(r.Pipelines) != 1 || r.Pipelines[0].PipelineID != "p1" || r.TotalSize != 7 || r.NextPageToken != "n2" {
					t.Errorf("%+v", r)
				}
			}},
		{name: "GetPipeline", do: func(c *client.Client) (any, error) { return c.GetPipeline(ctx, "p/1") },
			method: "GET", path: "/pipelines/p%2F1", answer: pipelineJSON, check: none},
		{name: "GetPipelineByName", do: func(c *client.Client) (any, error) { return c.GetPipelineByName(ctx, "two-step") },
			method: "GET", path: "/pipelines/names/two-step", answer: pipelineJSON, check: none},
		{name: "DeletePipeline", do: func(c *client.Client) (any, error) { return nil, c.DeletePipeline(ctx, "p1", false) },
			method: "DELETE", path: "/pipelines/p1", answer: `{}`, check: none},
		{name: "DeletePipelineCascade", do: func(c *client.Client) (any, error) { return nil, c.DeletePipeline(ctx, "p1", true) },
			method: "DELETE", path: "/pipelines/p1", query: url.Values{"cascade": {"true"}}, answer: `{}`, check: none},
		{name: "ListPipelineVersions", do: func(c *client.Client) (any, error) {
			return c.ListPipelineVersions(ctx, "p1", client.ListOptions{SortBy: "created_at desc", PageSize: 1})
		}, method: "GET", path: "/pipelines/p1/versions", query: url.Values{"sort_by": {"created_at desc"}, "page_size": {"1"}},
			answer: `{"pipeline_versions":[` + versionJSON + `],"total_size":1}`,
			check: func(t *testing.T, got any) {
				r := got.(*wire.ListPipelineVersionsResponse)
				if len(r.PipelineVersions) != 1 || r.PipelineVersions[0].PipelineVersionID != "v1" {
					t.Errorf("%+v", r)
				}
			}},
		{name: "GetPipelineVersion", do: func(c *client.Client) (any, error) { return c.GetPipelineVersion(ctx, "p1", "v1") },
			method: "GET", path: "/pipelines/p1/versions/v1", answer: versionJSON, check: none},
		{name: "CreateExperiment", do: func(c *client.Client) (any, error) { return c.CreateExperiment(ctx, "exp", "d") },
			method: "POST", path: "/experiments", body: `{"display_name":"exp","description":"d"}`, answer: experimentJSON,
			check: func(t *testing.T, got any) {
				e := got.(*wire.Experiment)
				want := wire.Experiment{ExperimentID: "e1", DisplayName: "exp", Description: "d",
					CreatedAt: wire.Time(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), StorageState: "AVAILABLE",
					LastRunCreatedAt: wire.Time(time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC))}
				if !reflect.DeepEqual(*e, want) {
					t.Errorf("%+v", e)
				}
			}},
		{name: "GetExperiment", do: func(c *client.Client) (any, error) { return c.GetExperiment(ctx, "e1") },
			method: "GET", path: "/experiments/e1", answer: experimentJSON, check: none},
		{name: "ListExperiments", do: func(c *client.Client) (any, error) { return c.ListExperiments(ctx, client.ListOptions{}) },
			method: "GET", path: "/experiments", answer: `{"experiments":[` + experimentJSON + `]}`,
			check: func(t *testing.T, got any) {
				if r := got.(*wire.ListExperimentsResponse); len(r.Experiments) != 1 {
					t.Errorf("%+v", r)
				}
			}},
		{name: "ArchiveExperiment", do: func(c *client.Client) (any, error) { return nil, c.ArchiveExperiment(ctx, "e1") },
			method: "POST", path: "/experiments/e1:archive", answer: `{}`, check: none},
		{name: "UnarchiveExperiment", do: func(c *client.Client) (any, error) { return nil, c.UnarchiveExperiment(ctx, "e1") },
			method: "POST", path: "/experiments/e1:unarchive", answer: `{}`, check: none},
		{name: "DeleteExperiment", do: func(c *client.Client) (any, error) { return nil, c.DeleteExperiment(ctx, "e1") },
			method: "DELETE", path: "/experiments/e1", answer: `{}`, check: none},
		{name: "CreateRunInline", do: func(c *client.Client) (any, error) {
			return c.CreateRun(ctx, client.CreateRunRequest{ExperimentID: "e1", DisplayName: "my run",
				PipelineSpec: json.RawMessage(`{"pipelineInfo":{"name":"p"}}`),
				Parameters:   map[string]any{"lr": 0.1, "epochs": 3, "tags": []any{"a"}}, PipelineRoot: "s3://b/r"})
		}, method: "POST", path: "/runs",
			body: `{"experiment_id":"e1","display_name":"my run","pipeline_spec":{"pipelineInfo":{"name":"p"}},
				"runtime_config":{"parameters":{"lr":0.1,"epochs":3,"tags":["a"]},"pipeline_root":"s3://b/r"}}`,
			answer: runJSON, check: none},
		{name: "CreateRunByVersion", do: func(c *client.Client) (any, error) {
			return c.CreateRun(ctx, client.CreateRunRequest{PipelineID: "p1", PipelineVersionID: "v1"})
		}, method: "POST", path: "/runs",
			body:   `{"pipeline_version_reference":{"pipeline_id":"p1","pipeline_version_id":"v1"}}`,
			answer: runJSON, check: none},
		{name: "GetRun", do: func(c *client.Client) (any, error) { return c.GetRun(ctx, "r1") },
			method: "GET", path: "/runs/r1", answer: runJSON, check: checkRun},
		{name: "ListRuns", do: func(c *client.Client) (any, error) {
			return c.ListRuns(ctx, "e1", client.ListOptions{Filter: client.Equals("state", "RUNNING")})
		}, method: "GET", path: "/runs",
			query:  url.Values{"experiment_id": {"e1"}, "filter": {`{"predicates":[{"operation":"EQUALS","key":"state","string_value":"RUNNING"}]}`}},
			answer: `{"runs":[` + runJSON + `],"total_size":1}`,
			check: func(t *testing.T, got any) {
				r := got.(*wire.ListRunsResponse)
				if len(r.Runs) != 1 {
					t.Fatalf("%+v", r)
				}
				checkRun(t, &r.Runs[0])
			}},
		{name: "TerminateRun", do: func(c *client.Client) (any, error) { return nil, c.TerminateRun(ctx, "r1") },
			method: "POST", path: "/runs/r1:terminate", answer: `{}`, check: none},
		{name: "RetryRun", do: func(c *client.Client) (any, error) { return nil, c.RetryRun(ctx, "r1") },
			method: "POST", path: "/runs/r1:retry", answer: `{}`, check: none},
		{name: "ArchiveRun", do: func(c *client.Client) (any, error) { return nil, c.ArchiveRun(ctx, "r1") },
			method: "POST", path: "/runs/r1:archive", answer: `{}`, check: none},
		{name: "UnarchiveRun", do: func(c *client.Client) (any, error) { return nil, c.UnarchiveRun(ctx, "r1") },
			method: "POST", path: "/runs/r1:unarchive", answer: `{}`, check: none},
		{name: "DeleteRun", do: func(c *client.Client) (any, error) { return nil, c.DeleteRun(ctx, "r1") },
			method: "DELETE", path: "/runs/r1", answer: `{}`, check: none},
		{name: "CreateRecurringRunInterval", do: func(c *client.Client) (any, error) {
			return c.CreateRecurringRun(ctx, client.CreateRecurringRunRequest{ExperimentID: "e1", DisplayName: "nightly",
				PipelineID: "p1", Parameters: map[string]any{"n": 4}, Interval: time.Hour, MaxConcurrency: 2,
				NoCatchup: true, Enabled: true})
		}, method: "POST", path: "/recurringruns",
			body: `{"experiment_id":"e1","display_name":"nightly","pipeline_version_reference":{"pipeline_id":"p1"},
				"runtime_config":{"parameters":{"n":4}},"max_concurrency":"2",
				"trigger":{"periodic_schedule":{"interval_second":"3600"}},"mode":"ENABLE","no_catchup":true}`,
			answer: recurringJSON, check: checkRecurring},
		{name: "CreateRecurringRunCron", do: func(c *client.Client) (any, error) {
			return c.CreateRecurringRun(ctx, client.CreateRecurringRunRequest{DisplayName: "c",
				PipelineSpec: json.RawMessage(`{"pipelineInfo":{"name":"p"}}`), Cron: "0 0 9 ? * 2-6",
				StartTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		}, method: "POST", path: "/recurringruns",
			body: `{"display_name":"c","pipeline_spec":{"pipelineInfo":{"name":"p"}},
				"trigger":{"cron_schedule":{"cron":"0 0 9 ? * 2-6","start_time":"2026-01-01T00:00:00Z"}},"mode":"DISABLE"}`,
			answer: recurringJSON, check: none},
		{name: "GetRecurringRun", do: func(c *client.Client) (any, error) { return c.GetRecurringRun(ctx, "rr1") },
			method: "GET", path: "/recurringruns/rr1", answer: recurringJSON, check: checkRecurring},
		{name: "ListRecurringRuns", do: func(c *client.Client) (any, error) {
			return c.ListRecurringRuns(ctx, "e1", client.ListOptions{PageSize: 3})
		}, method: "GET", path: "/recurringruns", query: url.Values{"experiment_id": {"e1"}, "page_size": {"3"}},
			answer: `{"recurringRuns":[` + recurringJSON + `],"total_size":1,"next_page_token":"x"}`,
			check: func(t *testing.T, got any) {
				r := got.(*wire.ListRecurringRunsResponse)
				if len(r.RecurringRuns) != 1 || r.NextPageToken != "x" {
					t.Fatalf("%+v", r)
				}
				checkRecurring(t, &r.RecurringRuns[0])
			}},
		{name: "EnableRecurringRun", do: func(c *client.Client) (any, error) { return nil, c.EnableRecurringRun(ctx, "rr1") },
			method: "POST", path: "/recurringruns/rr1:enable", answer: `{}`, check: none},
		{name: "DisableRecurringRun", do: func(c *client.Client) (any, error) { return nil, c.DisableRecurringRun(ctx, "rr1") },
			method: "POST", path: "/recurringruns/rr1:disable", answer: `{}`, check: none},
		{name: "DeleteRecurringRun", do: func(c *client.Client) (any, error) { return nil, c.DeleteRecurringRun(ctx, "rr1") },
			method: "DELETE", path: "/recurringruns/rr1", answer: `{}`, check: none},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, c := newFake(t, func(request) (int, string) { return 200, tc.answer })
			got, err := tc.do(c)
			if err != nil {
				t.Fatal(err)
			}
			r := f.only(t)
			if r.Method != tc.method || r.Path != "/apis/v2beta1"+tc.path {
				t.Errorf("request %s %s, want %s %s", r.Method, r.Path, tc.method, "/apis/v2beta1"+tc.path)
			}
			if tc.query == nil {
				tc.query = url.Values{}
			}
			if !reflect.DeepEqual(r.Query, tc.query) {
				t.Errorf("query %v, want %v", r.Query, tc.query)
			}
			if tc.body == "" {
				if len(r.Body) != 0 {
					t.Errorf("body %s, want none", r.Body)
				}
			} else {
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
				sameJSON(t, r.Body, tc.body)
			}
			tc.check(t, got)
		})
	}
}

func checkRun(t *testing.T, got any) {
	t.Helper()
	r := got.(*wire.Run)
	if r.RunID != "r1" || r.State != "FAILED" || r.Error == nil || r.Error.Message != "step train failed" ||
		r.PipelineVersionReference.PipelineVersionID != "v1" || r.RuntimeConfig.PipelineRoot != "s3://b/r" ||
		!r.FinishedAt.Equal(time.Date(2026, 1, 2, 3, 5, 5, 0, time.UTC)) || len(r.StateHistory) != 2 {
		t.Errorf("run %+v", r)
	}
	var p map[string]any
	if err := json.Unmarshal(r.RuntimeConfig.Parameters, &p); err != nil || p["lr"] != 0.1 || p["epochs"] != 3.0 || !reflect.DeepEqual(p["tags"], []any{"a"}) {
		t.Errorf("parameters %v", p)
	}
	if r.RunDetails.PipelineContextID != 12 {
		t.Errorf("pipeline_context_id %d", r.RunDetails.PipelineContextID)
	}
	tasks := r.Tasks()
	if len(tasks) != 1 {
		t.Fatalf("tasks %+v", tasks)
	}
	tk := tasks[0]
	if tk.TaskID != "t1" || tk.DisplayName != "train" || tk.State != "FAILED" || tk.ExecutionID != 42 ||
		tk.Error.Message != "exit 1" || tk.ParentTaskID != "root" || tk.PodName != "pod-1" ||
		tk.ExecutorDetail.MainJob != "job-1" || len(tk.StateHistory) != 1 ||
		tk.EndTime.Sub(tk.StartTime.Time) != 2*time.Second {
		t.Errorf("task %+v", tk)
	}
	if ids := tk.Inputs["data"].ArtifactIDs; !reflect.DeepEqual(ids, []wire.Int64{7, 8}) {
		t.Errorf("artifact ids %v", ids)
	}
	if !reflect.DeepEqual(tk.ChildTasks, []wire.ChildTask{{TaskID: "t2"}, {PodName: "pod-2"}}) {
		t.Errorf("child tasks %+v", tk.ChildTasks)
	}
}

func checkRecurring(t *testing.T, got any) {
	t.Helper()
	rr := got.(*wire.RecurringRun)
	if rr.RecurringRunID != "rr1" || rr.MaxConcurrency != 2 || rr.Trigger.PeriodicSchedule.IntervalSecond != 3600 ||
		rr.Status != "ENABLED" || !rr.NoCatchup || rr.PipelineVersionReference.PipelineID != "p1" {
		t.Errorf("recurring run %+v", rr)
	}
}

func TestCreateRecurringRunChecksInput(t *testing.T) {
	c := client.New("http://127.0.0.1:1", "", nil)
	for _, req := range []client.CreateRecurringRunRequest{
		{PipelineID: "p"},
		{PipelineID: "p", Cron: "@hourly", Interval: time.Hour},
		{PipelineID: "p", Interval: 1500 * time.Millisecond},
		{PipelineID: "p", PipelineSpec: json.RawMessage(`{}`), Cron: "@hourly"},
	} {
		if _, err := c.CreateRecurringRun(ctx, req); err == nil || errors.As(err, new(*url.Error)) {
			t.Errorf("%+v: error %v, want a local refusal", req, err)
		}
	}
}

func TestInt64(t *testing.T) {
	var v struct {
		A, B wire.Int64
		C    wire.Int64 `json:"c,omitzero"`
	}
	if err := json.Unmarshal([]byte(`{"A":"12","B":34}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != 12 || v.B != 34 {
		t.Errorf("%+v", v)
	}
	b, _ := json.Marshal(v)
	if string(b) != `{"A":"12","B":"34"}` {
		t.Errorf("marshal %s", b)
	}
	if err := json.Unmarshal([]byte(`{"A":"x"}`), &v); err == nil {
		t.Error("no error for a non-number")
	}
}

// TestWaitRun serves a run that goes PENDING, RUNNING with a task, the
// task done, then SUCCEEDED, with repeated polls in between; onChange
// must see each change once.
func TestWaitRun(t *testing.T) {
	states := []string{
		`{"run_id":"r1","state":"PENDING"}`,
		`{"run_id":"r1","state":"PENDING"}`,
		`{"run_id":"r1","state":"RUNNING"}`,
		`{"run_id":"r1","state":"RUNNING","run_details":{"task_details":[{"task_id":"a","state":"RUNNING"}]}}`,
		`{"run_id":"r1","state":"RUNNING","run_details":{"task_details":[{"task_id":"a","state":"RUNNING"}]}}`,
		`{"run_id":"r1","state":"RUNNING","run_details":{"task_details":[{"task_id":"a","state":"SUCCEEDED"},{"task_id":"b","state":"RUNNING"}]}}`,
		`{"run_id":"r1","state":"SUCCEEDED","run_details":{"task_details":[{"task_id":"b","state":"SUCCEEDED"},{"task_id":"a","state":"SUCCEEDED"}]}}`,
	}
	var mu sync.Mutex
	n := 0
	f, c := newFake(t, func(r request) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		if r.Path != "/apis/v2beta1/runs/r1" {
			return 404, `{"code":5,"message":"no"}`
		}
		s := states[min(n, len(states)-1)]
		n++
		return 200, s
	})
	var seen []string
	r, err := c.WaitRun(ctx, "r1", time.Millisecond, func(r *wire.Run) {
		s := string(r.State)
		for _, t := range r.Tasks() {
			s += " " + t.TaskID + "=" + string(t.State)
		}
		seen = append(seen, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.State != "SUCCEEDED" {
		t.Errorf("state %s", r.State)
	}
	want := []string{"PENDING", "RUNNING", "RUNNING a=RUNNING", "RUNNING a=SUCCEEDED b=RUNNING", "SUCCEEDED b=SUCCEEDED a=SUCCEEDED"}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("changes:\n%q\nwant\n%q", seen, want)
	}
	if len(f.reqs) != len(states) {
		t.Errorf("%d polls, want %d", len(f.reqs), len(states))
	}
}

func TestWaitRunStops(t *testing.T) {
	_, c := newFake(t, func(request) (int, string) { return 200, `{"run_id":"r1","state":"RUNNING"}` })
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := c.WaitRun(cctx, "r1", 5*time.Millisecond, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want deadline exceeded", err)
	}
	_, c = newFake(t, func(request) (int, string) { return 404, `{"code":5,"message":"run r1 not found"}` })
	if _, err := c.WaitRun(ctx, "r1", time.Millisecond, nil); !client.IsNotFound(err) {
		t.Errorf("error %v, want not found", err)
	}
	for _, s := range []string{"FAILED", "CANCELED", "SKIPPED"} {
		_, c = newFake(t, func(request) (int, string) { return 200, `{"run_id":"r1","state":"` + s + `"}` })
		if r, err := c.WaitRun(ctx, "r1", time.Millisecond, nil); err != nil || string(r.State) != s {
			t.Errorf("%s: %v %v", s, r, err)
		}
	}
}
