// Command screenshots takes screenshots of the web UI's main pages for
// docs/: it starts a Sluice server in a temporary directory, runs the demo
// pipeline twice, and drives headless Chromium through the pages.
//
//	go run ./ui/cmd/screenshots [-out docs/screenshots] [-graphs DIR [PIPELINE_FILE...]]
//
// With -graphs it also writes, to DIR, each graph at full size: the
// example pipelines, the demo, a 1,000-iteration ParallelFor and every
// pipeline file named on the command line (graph-NAME.png), for checking
// the graph layout by eye.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/sluicehq/sluice/ui/internal/uitest"
)

func main() {
	out := flag.String("out", "docs/screenshots", "directory to write the PNG files to")
	graphs := flag.String("graphs", "", "also write full-size graphs of the example pipelines and of the files named as arguments to this directory")
	flag.Parse()
	if err := run(*out, *graphs, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

func run(out, graphs string, files []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "sluice-screenshots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := uitest.StartServer(ctx, dir, true)
	if err != nil {
		return err
	}
	defer srv.Close()
	pid, err := srv.Upload("sluice-demo", uitest.DemoPipeline)
	if err != nil {
		return err
	}
	var runs []string
	for i, rate := range []float64{0.1, 0.3} {
		id, err := srv.Run(pid, fmt.Sprintf("demo rate %.1f", rate), map[string]any{"rate": rate, "rows": 8 + i, "wait": 0})
		if err != nil {
			return err
		}
		if _, err := srv.Wait(ctx, id); err != nil {
			return err
		}
		runs = append(runs, id)
	}
	live, err := srv.Run(pid, "demo running", map[string]any{"wait": 30})
	if err != nil {
		return err
	}
	tuning, err := exampleExperiment(ctx, srv)
	if err != nil {
		return err
	}
	bctx, bcancel, err := uitest.Browser(ctx, 1440, 900, nil)
	if err != nil {
		return err
	}
	defer bcancel()

	shots := []struct {
		file, path, ready string
		dark              bool
	}{
		{"pipelines.png", "/pipelines", `document.querySelectorAll("tbody tr").length >= 3`, false},
		{"pipeline-graph.png", "/pipelines/" + pid, `document.querySelector("svg.graph g.node")`, false},
		{"run-details.png", "/runs/" + runs[0] + "?task=train", `document.querySelector(".cm-table") && document.querySelector("svg.graph g.node.st-SUCCEEDED")`, false},
		{"run-live-log.png", "/runs/" + live + "?task=make-data", `document.querySelector("svg.graph g.node.st-RUNNING") && document.querySelector(".side .panel-head")`, false},
		{"run-tasks.png", "/runs/" + runs[1] + "?tab=tasks", `document.querySelectorAll(".vrows .vrow").length > 3`, false},
		{"runs.png", "/runs", `document.querySelectorAll("tbody tr").length >= 3`, false},
		{"new-run.png", "/runs/new?pipeline=" + pid, `document.querySelector("input[name=rows]")`, false},
		{"compare.png", "/compare?runs=" + runs[0] + "," + runs[1], `document.querySelectorAll("svg.roc polyline").length === 2`, false},
		{"run-details-dark.png", "/runs/" + runs[1] + "?task=report", `document.querySelector("svg.graph g.node.st-SUCCEEDED") && document.querySelector(".artifact")`, true},
		{"tuning.png", "/tuning/" + tuning, `document.querySelectorAll(".pc-chart .pc-line").length >= 12 && document.querySelector(".cache-saved")`, false},
	}
	for _, s := range shots {
		if err := navigate(bctx, srv.URL+s.path, s.dark); err != nil {
			return err
		}
		if err := waitFor(bctx, s.ready); err != nil {
			return fmt.Errorf("%s: %w", s.file, err)
		}
		if s.file == "run-live-log.png" {
			chromedp.Do(bctx, chromedp.Click(`//aside//button[text()="Log"]`))
			if err := waitFor(bctx, `document.querySelector(".side pre.log")?.textContent`); err != nil {
				return fmt.Errorf("%s: %w", s.file, err)
			}
		}
		if s.file == "run-details-dark.png" {
			chromedp.Do(bctx, chromedp.Click(`//div[@data-name="summary"]//button[text()="Preview"]`))
		}
		time.Sleep(400 * time.Millisecond) // let transitions finish
		png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, s.file), png, 0o644); err != nil {
			return err
		}
		fmt.Println(filepath.Join(out, s.file))
	}
	if err := srv.Call("POST", "/apis/v2beta1/runs/"+live+":terminate", nil, nil); err != nil {
		return err
	}
	if graphs == "" {
		return nil
	}
	return graphShots(bctx, srv, graphs, files)
}

// graphShots writes the graph of every stored pipeline, of a 1,000-item
// ParallelFor and of each file to dir, at full size.
func graphShots(ctx context.Context, srv *uitest.Server, dir string, files []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	large, err := json.Marshal(uitest.Fanout(1000))
	if err != nil {
		return err
	}
	if _, err := srv.Upload("parallelfor-1000", large); err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		if _, err := srv.Upload(name, b); err != nil {
			fmt.Fprintf(os.Stderr, "screenshots: skip %s: %v\n", f, err)
		}
	}
	var list struct {
		Pipelines []struct {
			ID   string `json:"pipeline_id"`
			Name string `json:"display_name"`
		} `json:"pipelines"`
	}
	if err := srv.Call("GET", "/apis/v2beta1/pipelines?page_size=1000", nil, &list); err != nil {
		return err
	}
	for _, p := range list.Pipelines {
		if err := navigate(ctx, srv.URL+"/pipelines/"+p.ID, false); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.querySelector("svg.graph g.node, svg.graph g.group, .graph-wrap ~ .error, main .error")`); err != nil {
			return fmt.Errorf("graph of %s: %w", p.Name, err)
		}
		// Full size, alone on the page: no zoom, no scroll box, no side panel.
		err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
			const svg = document.querySelector("svg.graph");
			if (!svg) return;
			const vb = svg.viewBox.baseVal;
			svg.setAttribute("width", vb.width); svg.setAttribute("height", vb.height);
			document.body.replaceChildren(svg);
		})()`))
		if err != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
		png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("svg.graph")))
		if err != nil {
			return fmt.Errorf("graph of %s: %w", p.Name, err)
		}
		f := filepath.Join(dir, "graph-"+safeName(p.Name)+".png")
		if err := os.WriteFile(f, png, 0o644); err != nil {
			return err
		}
		fmt.Println(f)
	}
	return nil
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// navigate opens url in the light or dark colour scheme.
func navigate(ctx context.Context, url string, dark bool) error {
	scheme := "light"
	if dark {
		scheme = "dark"
	}
	return chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
			return err
		}),
		chromedp.Navigate(url))
}

func waitFor(ctx context.Context, expr string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+expr+`)`))
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("timed out waiting for " + expr)
}

// exampleExperiment waits for the example tuning experiment, which the
// server's first start created, to end, and returns its id.
func exampleExperiment(ctx context.Context, srv *uitest.Server) (string, error) {
	for {
		var list struct {
			Experiments []struct {
				ID        string `json:"id"`
				Condition string `json:"condition"`
			} `json:"experiments"`
		}
		if err := srv.Call("GET", "/apis/sluice/v1/tuning/experiments", nil, &list); err != nil {
			return "", err
		}
		if len(list.Experiments) > 0 {
			if c := list.Experiments[0].Condition; c == "Succeeded" || c == "Failed" {
				return list.Experiments[0].ID, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", errors.New("the example tuning experiment did not end")
		case <-time.After(200 * time.Millisecond):
		}
	}
}
