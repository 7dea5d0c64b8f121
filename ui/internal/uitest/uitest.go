// Package uitest drives the web UI in a real browser: it starts a Sluice
// server in-process on a loopback port with a temporary data directory,
// finds Chromium, and opens headless tabs with chromedp. The end-to-end
// tests of package ui and the screenshot command (ui/cmd/screenshots) use
// it.
package uitest

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sluicehq/sluice/server"
)

// DemoPipeline is a compiled (hand-written) pipeline with a dataset,
// scalar and classification metrics, HTML and Markdown reports, and a
// ParallelFor; its steps are shell commands.
//
//go:embed testdata/demo.yaml
var DemoPipeline []byte

// V1Visualizations is a KFP v1 pipeline (an Argo Workflow) whose step
// writes every kind of mlpipeline-ui-metadata visualization and
// mlpipeline-metrics.
//
//go:embed testdata/v1_visualizations.yaml
var V1Visualizations []byte

// Server is a Sluice server running in this process.
type Server struct {
	URL  string
	Data string
	stop context.CancelFunc
	done chan error
}

// StartServer starts a server on 127.0.0.1 with data under dir.
func StartServer(ctx context.Context, dir string, examples bool) (*Server, error) {
	cfg := server.Defaults()
	cfg.Addr, cfg.Data, cfg.NoExamples, cfg.Parallelism = "127.0.0.1:0", dir, !examples, 4
	ctx, cancel := context.WithCancel(ctx)
	srv, err := server.New(ctx, cfg, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	s := &Server{URL: "http://" + srv.Addr(), Data: dir, stop: cancel, done: make(chan error, 1)}
	go func() { s.done <- srv.Serve(ctx) }()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error {
	s.stop()
	return <-s.done
}

// Call makes an API call and decodes the JSON answer into out.
func (s *Server) Call(method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return do(req, out)
}

func do(req *http.Request, out any) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// Upload uploads a pipeline file and returns its pipeline id.
func (s *Server) Upload(name string, file []byte) (string, error) {
	var p struct {
		ID string `json:"pipeline_id"`
	}
	err := s.upload("/apis/v2beta1/pipelines/upload?name="+url.QueryEscape(name), name, file, &p)
	return p.ID, err
}

// UploadVersion uploads a pipeline file as a new version of a pipeline
// and returns the version's id.
func (s *Server) UploadVersion(pipelineID, name string, file []byte) (string, error) {
	var v struct {
		ID string `json:"pipeline_version_id"`
	}
	err := s.upload("/apis/v2beta1/pipelines/upload_version?pipelineid="+url.QueryEscape(pipelineID)+"&name="+url.QueryEscape(name), name, file, &v)
	return v.ID, err
}

func (s *Server) upload(path, name string, file []byte, out any) error {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("uploadfile", name+".yaml")
	fw.Write(file)
	mw.Close()
	req, err := http.NewRequest("POST", s.URL+path, &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return do(req, out)
}

// Run starts a run of a pipeline's latest version and returns its id.
func (s *Server) Run(pipelineID, name string, params map[string]any) (string, error) {
	var r struct {
		ID string `json:"run_id"`
	}
	err := s.Call("POST", "/apis/v2beta1/runs", map[string]any{"display_name": name,
		"pipeline_version_reference": map[string]any{"pipeline_id": pipelineID},
		"runtime_config":             map[string]any{"parameters": params}}, &r)
	return r.ID, err
}

// RunSpec starts a run of an inline pipeline spec.
func (s *Server) RunSpec(name string, spec map[string]any) (string, error) {
	var r struct {
		ID string `json:"run_id"`
	}
	err := s.Call("POST", "/apis/v2beta1/runs", map[string]any{"display_name": name, "pipeline_spec": spec}, &r)
	return r.ID, err
}

// Wait waits until a run has ended and returns its state.
func (s *Server) Wait(ctx context.Context, runID string) (string, error) {
	for {
		var r struct {
			State string `json:"state"`
		}
		if err := s.Call("GET", "/apis/v2beta1/runs/"+runID, nil, &r); err != nil {
			return "", err
		}
		switch r.State {
		case "SUCCEEDED", "FAILED", "CANCELED", "SKIPPED":
			return r.State, nil
		}
		select {
		case <-ctx.Done():
			return r.State, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ErrNoChromium is returned by Chromium when no browser is installed.
var ErrNoChromium = errors.New("no Chromium found (install the Debian package chromium, or set SLUICE_CHROMIUM)")

// Chromium returns the browser to drive: $SLUICE_CHROMIUM, or chromium,
// chromium-browser, google-chrome on the PATH.
func Chromium() (string, error) {
	if p := os.Getenv("SLUICE_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// Browser starts a headless browser and returns a tab's context; cancel
// closes it. extra adds options (flags) to the browser's command line.
func Browser(ctx context.Context, width, height int, logf func(string, ...any), extra ...chromedp.ExecAllocatorOption) (context.Context, context.CancelFunc, error) {
	path, err := Chromium()
	if err != nil {
		return nil, nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests and CI run as root
		chromedp.WindowSize(width, height),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	opts = append(opts, extra...)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	var copts []chromedp.ContextOption
	if logf != nil {
		copts = append(copts, chromedp.WithErrorf(logf))
	}
	tctx, tcancel := chromedp.NewContext(actx, copts...)
	if err := chromedp.Do(tctx); err != nil {
		tcancel()
		acancel()
		return nil, nil, fmt.Errorf("start %s: %w", path, err)
	}
	return tctx, func() { tcancel(); acancel() }, nil
}

// Fanout is a pipeline of one ParallelFor over n items, each a trivial
// step, then a step after the loop: n+1 steps, 2n+2 tasks.
func Fanout(n int) map[string]any {
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	raw, _ := json.Marshal(items)
	spec := fmt.Sprintf(`{
 "pipelineInfo": {"name": "fanout-%d"},
 "schemaVersion": "2.1.0",
 "root": {"dag": {"tasks": {
    "for-loop-1": {"taskInfo": {"name": "for-loop-1"}, "componentRef": {"name": "comp-for-loop-1"},
      "parameterIterator": {"itemInput": "pipelinechannel--loop-item-param-1", "items": {"raw": %q}}},
    "done": {"taskInfo": {"name": "done"}, "componentRef": {"name": "comp-step"}, "dependentTasks": ["for-loop-1"],
      "inputs": {"parameters": {"x": {"runtimeValue": {"constant": -1}}}}}}}},
 "components": {
  "comp-for-loop-1": {"inputDefinitions": {"parameters": {"pipelinechannel--loop-item-param-1": {"parameterType": "NUMBER_INTEGER"}}},
    "dag": {"tasks": {"step": {"taskInfo": {"name": "step"}, "componentRef": {"name": "comp-step"},
        "inputs": {"parameters": {"x": {"componentInputParameter": "pipelinechannel--loop-item-param-1"}}}}}}},
  "comp-step": {"executorLabel": "exec-step", "inputDefinitions": {"parameters": {"x": {"parameterType": "NUMBER_INTEGER"}}}}},
 "deploymentSpec": {"executors": {
  "exec-step": {"container": {"image": "alpine", "command": ["sh", "-c", "echo step $0", "{{$.inputs.parameters['x']}}"]}}}}
}`, n, string(raw))
	var m map[string]any
	if err := json.Unmarshal([]byte(spec), &m); err != nil {
		panic(err)
	}
	return m
}
