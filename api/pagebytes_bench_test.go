package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
)

// padSpec is a stored spec of n bytes or so whose text is pad repeated.
func padSpec(n int, pad string) []byte {
	return []byte(`{"pad":"` + strings.Repeat(pad, n/len(pad)) + `"}`)
}

// largeSpec is testdata/params.yaml as stored, its description n bytes
// long: a spec the server can read, of the size given.
func largeSpec(tb testing.TB, n int) []byte {
	tb.Helper()
	p, err := spec.Load(readFile(tb, "testdata/params.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	p.Spec.PipelineInfo.Description = strings.Repeat("d", n)
	b, err := spec.MarshalStored(p)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkListOf200Rows: one list call of 200 rows whose specs are
// 4 MiB (runs through v1, which shows their metrics; pipeline versions
// through v2, which carry their specs), all pages followed. Reported:
// B/op (everything the process allocated: the server's, the client
// keeps nothing), resp-bytes (the largest answer) and pages.
//
//	go test ./api -run '^$' -bench ListOf200Rows -benchtime 1x
func BenchmarkListOf200Rows(b *testing.B) {
	const n, size = 200, 4 << 20
	ctx := context.Background()
	// setup stores n runs (with a metric each, or none) or, when
	// versions, n pipeline versions of one pipeline, all of size bytes.
	setup := func(b *testing.B, versions, metrics bool) (*testServer, string) {
		ts := newTestServer(b, nil)
		sp := largeSpec(b, size)
		if versions {
			p := &store.Pipeline{Name: "big"}
			if err := ts.st.CreatePipeline(ctx, p, nil); err != nil {
				b.Fatal(err)
			}
			for i := range n {
				if err := ts.st.CreatePipelineVersion(ctx, &store.PipelineVersion{PipelineID: p.ID, Name: fmt.Sprint(i), Spec: sp}); err != nil {
					b.Fatal(err)
				}
			}
			return ts, p.ID
		}
		var runs []*store.Run
		for i := range n {
			runs = append(runs, &store.Run{DisplayName: fmt.Sprint(i), State: runstate.Succeeded, Spec: sp,
				CreatedAt: time.Date(2026, 8, 1, 9, 0, 0, i, time.UTC)})
		}
		if err := ts.st.CreateRuns(ctx, runs); err != nil {
			b.Fatal(err)
		}
		out := `{"parameters":{"out":"1"}}`
		if metrics {
			out = `{"artifacts":{"mlpipeline-metrics":[{"uri":"/tmp/m","metadata":{"accuracy":0.9}}]}}`
		}
		for _, r := range runs {
			if err := ts.st.PutTask(ctx, &store.Task{RunID: r.ID, ID: "echo", Key: "echo", Kind: "container",
				State: runstate.Succeeded, Outputs: []byte(out)}); err != nil {
				b.Fatal(err)
			}
		}
		return ts, ""
	}
	// list follows the pages of path, reading each answer as it comes
	// (the client keeps only its end, for the token): what the process
	// allocates is the server's.
	list := func(b *testing.B, ts *testServer, path string) {
		largest, pages := 0, 0
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			largest, pages = 0, 0
			token := ""
			for {
				p := path
				if token != "" {
					p += "&page_token=" + url.QueryEscape(token)
				}
				resp, err := http.Get(ts.URL + p)
				if err != nil {
					b.Fatal(err)
				}
				var tail tailWriter
				_, err = io.Copy(&tail, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					b.Fatalf("GET %s: %d %v %.300s", p, resp.StatusCode, err, tail.b)
				}
				largest = max(largest, tail.n)
				pages++
				token = ""
				if m := tokenRE.FindSubmatch(tail.b); m != nil {
					token = string(m[1])
				}
				if token == "" {
					break
				}
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(largest), "resp-bytes")
		b.ReportMetric(float64(pages), "pages")
	}
	b.Run("v1runs", func(b *testing.B) {
		ts, _ := setup(b, false, false)
		list(b, ts, "/apis/v1beta1/runs?page_size=200")
	})
	b.Run("v1runs-with-metrics", func(b *testing.B) {
		ts, _ := setup(b, false, true)
		list(b, ts, "/apis/v1beta1/runs?page_size=200")
	})
	b.Run("v2versions", func(b *testing.B) {
		ts, pid := setup(b, true, false)
		list(b, ts, "/apis/v2beta1/pipelines/"+pid+"/versions?page_size=200")
	})
}

var tokenRE = regexp.MustCompile(`"next_page_token":"([^"]*)"`)

// tailWriter counts what is written and keeps its last 64 KiB.
type tailWriter struct {
	n int
	b []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	w.b = append(w.b, p...)
	if over := len(w.b) - 64<<10; over > 0 {
		w.b = append(w.b[:0], w.b[over:]...)
	}
	return len(p), nil
}
