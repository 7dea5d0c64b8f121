package main

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/spec"
)

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
