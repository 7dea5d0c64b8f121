package api

import (
	"context"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/pgtest"
	"github.com/sluicehq/sluice/store"
)

// TestNamesAndTextAreBounded: names, display names and descriptions keep
// to their limits and no string of a request holds a NUL, on every route
// that stores one (v2beta1, v1beta1, uploads), on SQLite and PostgreSQL:
// each is a 400 naming the field and the limit. On PostgreSQL a NUL was a
// 500 ("invalid byte sequence"), and so was a 15 MB name (which SQLite
// stored, making a list of 200 of them a 3 GB answer).
func TestNamesAndTextAreBounded(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			var ts *testServer
			if db == "sqlite" {
				ts = newTestServer(t, nil)
			} else {
				st, err := store.Open(context.Background(), pgtest.DSN(t))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				ts = newTestServerOn(t, st, nil)
			}
			f := setupFixture(t, ts)
			long := strings.Repeat("n", MaxNameBytes+1)
			huge := strings.Repeat("n", 15<<20)
			longDesc := strings.Repeat("d", MaxDescriptionBytes+1)
			pkg := readFile(t, "testdata/params.yaml")
			for _, tc := range []struct {
				name   string
				req    request
				status int
				msg    string
			}{
				{"v2 experiment NUL", request{Method: "POST", Path: "/apis/v2beta1/experiments", Body: map[string]any{"display_name": "a\x00b"}}, 400, "display_name: \"a\\x00b\" holds a control character"},
				{"v2 experiment newline", request{Method: "POST", Path: "/apis/v2beta1/experiments", Body: map[string]any{"display_name": "a\nb"}}, 400, "control character"},
				{"v2 experiment long", request{Method: "POST", Path: "/apis/v2beta1/experiments", Body: map[string]any{"display_name": long}}, 400, "display_name: 513 bytes; the limit is 512"},
				{"v2 experiment huge", request{Method: "POST", Path: "/apis/v2beta1/experiments", Body: map[string]any{"display_name": huge}}, 400, "the limit is 512"},
				{"v2 experiment description", request{Method: "POST", Path: "/apis/v2beta1/experiments", Body: map[string]any{"display_name": "e", "description": longDesc}}, 400, "description: 65537 bytes; the limit is 65536"},
				{"v2 experiment description NUL", request{Method: "POST", Path: "/apis/v2beta1/experiments", Body: map[string]any{"display_name": "e", "description": "a\x00"}}, 400, "description: holds a NUL"},
				{"v1 experiment", request{Method: "POST", Path: "/apis/v1beta1/experiments", Body: map[string]any{"name": long}}, 400, "name: 513 bytes"},
				{"v1 experiment NUL", request{Method: "POST", Path: "/apis/v1beta1/experiments", Body: map[string]any{"name": "x\x00"}}, 400, "control character"},
				{"v2 pipeline", request{Method: "POST", Path: "/apis/v2beta1/pipelines", Body: map[string]any{"display_name": long}}, 400, "the limit is 512"},
				{"v2 run", request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{"display_name": long, "experiment_id": f.expID, "pipeline_spec": f.spec}}, 400, "display_name: 513 bytes"},
				{"v2 run parameter NUL", request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{"display_name": "r", "experiment_id": f.expID, "pipeline_spec": f.spec,
					"runtime_config": map[string]any{"parameters": map[string]any{"greeting": "a\x00b"}}}}, 400, "runtime_config.parameters.greeting: holds a NUL"},
				{"v2 recurring run", request{Method: "POST", Path: "/apis/v2beta1/recurringruns", Body: map[string]any{"display_name": long, "experiment_id": f.expID, "pipeline_spec": f.spec}}, 400, "display_name: 513 bytes"},
				{"v2 version", request{Method: "POST", Path: "/apis/v2beta1/pipelines/" + f.pipelineID + "/versions", Body: map[string]any{"display_name": "v", "description": longDesc}}, 400, "65537 bytes"},
				{"v2 upload name", request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload?name=" + q(long), File: pkg, FileName: "p.yaml"}, 400, "pipeline name: 513 bytes"},
				{"v2 upload NUL", request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload?name=" + q("a\x00b"), File: pkg, FileName: "p.yaml"}, 400, "control character"},
				{"v2 upload description", request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload?name=d&description=" + q(longDesc), File: pkg, FileName: "p.yaml"}, 400, "pipeline description: 65537 bytes"},
				{"v1 upload name", request{Method: "POST", Path: "/apis/v1beta1/pipelines/upload?name=" + q(long), File: pkg, FileName: "p.yaml"}, 400, "pipeline name: 513 bytes"},
				{"v2 upload_version name", request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload_version?pipelineid=" + f.pipelineID + "&name=" + q(long), File: pkg, FileName: "p.yaml"}, 400, "pipeline version name: 513 bytes"},
				{"at the limit", request{Method: "POST", Path: "/apis/v2beta1/experiments", Body: map[string]any{"display_name": long[1:], "description": longDesc[1:]}}, 200, ""},
			} {
				t.Run(tc.name, func(t *testing.T) {
					r := ts.do(t, tc.req)
					if r.Status != tc.status || !strings.Contains(r.message(), tc.msg) {
						t.Fatalf("%d %.300s, want %d %q", r.Status, r.Body, tc.status, tc.msg)
					}
					if r.Status != 200 && len(r.Body) > 4096 {
						t.Errorf("the answer is %d bytes: it echoes the value", len(r.Body))
					}
				})
			}
		})
	}
}
