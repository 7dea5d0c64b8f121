package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/spec"
)

func TestMain(m *testing.M) {
	code := m.Run()
	stopPostgres()
	os.Exit(code)
}

// The generators at a tiny size, run through the real engine: each run
// must succeed with the right outputs. No timing is checked here.
func TestWorkloadsRun(t *testing.T) {
	e, err := NewEngine(t.TempDir(), 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, python := range []bool{false, true} {
		for _, name := range []string{"W1", "W2", "W3", "W4", "W5"} {
			label := name
			if python {
				label += "-python"
			}
			t.Run(label, func(t *testing.T) {
				if python {
					if name == "W1" || name == "W2" {
						t.Skip("sh only")
					}
					if _, err := exec.LookPath("python3"); err != nil {
						t.Skip("no python3")
					}
				}
				w, err := Generate(name, 3, python)
				if err != nil {
					t.Fatal(err)
				}
				p, err := spec.Load(w.JSON())
				if err != nil {
					t.Fatalf("load: %v", err)
				}
				res, err := e.Run(context.Background(), &engine.Request{Pipeline: p, NoCache: true})
				if err != nil {
					t.Fatal(err)
				}
				if err := w.Check(res); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// The floor script and the server path work end to end.
func TestFloorAndServer(t *testing.T) {
	w, err := Generate("W3", 3, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := measureFloor(w); err != nil {
		t.Fatal(err)
	}
	base, stop, err := startServer(t.TempDir(), "", 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	for _, name := range []string{"W1", "W2"} {
		w, err := Generate(name, 3, false)
		if err != nil {
			t.Fatal(err)
		}
		id, err := submit(base, w.JSON(), name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wait(base, id, 20*time.Millisecond, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
}

// The API workload at a tiny size, on SQLite and (when there is one) on
// PostgreSQL, the same way runAll reaches it.
func TestAPIChild(t *testing.T) {
	for _, mode := range []string{"api-sqlite", "api-postgres"} {
		t.Run(mode, func(t *testing.T) {
			pg := ""
			if mode == "api-postgres" {
				dsn, drop, ok, why, err := pgDatabase()
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					t.Skip(why)
				}
				t.Cleanup(drop)
				pg = dsn
			}
			res, err := apiChild(t.TempDir(), mode, 3, 250, 3, pg, profiles{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.ListMS) != 3 {
				t.Fatalf("%d list latencies", len(res.ListMS))
			}
		})
	}
}

// W1 through a server on PostgreSQL, when there is one.
func TestServerPostgres(t *testing.T) {
	dsn, drop, ok, why, err := pgDatabase()
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Skip(why)
	}
	t.Cleanup(drop)
	if _, err := serverChild(t.TempDir(), "server-postgres", "W1", 3, false, dsn, profiles{}); err != nil {
		t.Fatal(err)
	}
}

func TestMedianAndPlan(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.xs); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
	plan, err := options{ws: []string{"W6", "API"}, pg: "auto", large: true}.plan()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range plan {
		got = append(got, fmt.Sprintf("%s:%s:%d:%v", p.mode, p.w, p.size, p.large))
	}
	want := []string{
		"server-sqlite:W1:3:false", "server-postgres:W1:3:false",
		"server-sqlite:W3:1000:false", "server-postgres:W3:1000:false",
		"server-sqlite:W4:200:false", "server-postgres:W4:200:false",
		"server-sqlite:W5:1000:false", "server-postgres:W5:1000:false",
		"server-sqlite:W5:10000:true", "server-postgres:W5:10000:true",
		"api-sqlite:API:0:true", "api-postgres:API:0:true",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("plan\n%v\nwant\n%v", got, want)
	}
}

// TUNE runs its plain runs and its experiment end to end (the experiment
// must reach maxTrialCount with every trial succeeded). No timing is
// checked.
func TestTuneChild(t *testing.T) {
	res, err := tuneChild(t.TempDir(), "tune-sqlite", 6, "", profiles{})
	if err != nil {
		t.Fatal(err)
	}
	if res.WallMS <= 0 || res.BaselineMS <= 0 {
		t.Fatalf("%+v", res)
	}
	plan, err := options{ws: []string{"TUNE"}, pg: "off", tuneN: 7}.plan()
	if err != nil || len(plan) != 1 || plan[0].mode != "tune-sqlite" || plan[0].size != 7 {
		t.Fatalf("plan %+v %v", plan, err)
	}
}

// The polling client keeps a run's state and skips its task details.
func TestDecodeFields(t *testing.T) {
	body := `{"run_id": "r1", "run_details": {"task_details": [{"task_id": "a \"}]{[", "child_tasks": [{"task_id": "b"}]}, {"task_id": "c"}]},
		"n": -1.5e3, "ok": true, "none": null,
		"state": "FAILED", "finished_at": "2026-12-07T04:00:00Z", "error": {"message": "boom \"}\" \\"}, "tags": [[1, 2], {"x": []}]}`
	var r wireRun
	if err := decodeFields(strings.NewReader(body), &r, wireRunFields); err != nil {
		t.Fatal(err)
	}
	if r.RunID != "r1" || r.State != "FAILED" || r.FinishedAt.IsZero() || r.Error == nil || r.Error.Message != `boom "}" \` {
		t.Fatalf("decoded %+v", r)
	}
	for _, bad := range []string{`[1]`, `{"state": "RUNNING"`, `{"state" "x"}`} {
		if err := decodeFields(strings.NewReader(bad), &r, wireRunFields); err == nil {
			t.Fatalf("%s was decoded as a run", bad)
		}
	}
}
