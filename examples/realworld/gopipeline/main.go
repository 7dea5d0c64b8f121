// Command gopipeline is the real-world pipeline written in Go: it loads the
// five components made from ../realworld.py (../components/*.yaml) and wires
//
//	read_data -> preprocess -> train_test_split -> train_model -> evaluate_model
//
// Compile it (the program runs in its own directory, so the component paths
// are relative to it); pipeline.yaml next to this file is its output, kept
// current by the test:
//
//	sluice compile ./examples/realworld/gopipeline -o realworld.yaml
//	sluice run realworld.yaml -p test_fraction=0.3 -p l2=5
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sluicehq/sluice/dsl"
)

// pipeline builds the real-world pipeline from the component files in dir.
func pipeline(dir string) (*dsl.Pipeline, error) {
	comps := map[string]*dsl.LoadedComponent{}
	for _, name := range []string{"read_data", "preprocess", "train_test_split", "train_model", "evaluate_model"} {
		c, err := dsl.LoadComponentFile(filepath.Join(dir, name+".yaml"))
		if err != nil {
			return nil, err
		}
		comps[name] = c
	}

	p := dsl.NewPipeline("realworld").
		SetDescription("Read a table of houses, clean it, split it, fit a linear regression, evaluate it.")
	source := p.StringParam("source", "")
	rows := p.IntParam("rows", 300)
	testFraction := p.FloatParam("test_fraction", 0.2)
	l2 := p.FloatParam("l2", 0)

	raw := p.Task(comps["read_data"], dsl.Inputs{"source": source, "rows": rows})
	clean := p.Task(comps["preprocess"], dsl.Inputs{"raw": raw.Output("raw")})
	split := p.Task(comps["train_test_split"], dsl.Inputs{
		"data": clean.Output("clean"), "test_fraction": testFraction,
	})
	train := p.Task(comps["train_model"], dsl.Inputs{"train": split.Output("train"), "l2": l2})
	eval := p.Task(comps["evaluate_model"], dsl.Inputs{
		"test": split.Output("test"), "model": train.Output("model"),
	})

	p.Output("model", train.Output("model"))
	p.Output("metrics", eval.Output("metrics"))
	p.Output("rmse", eval.Output("rmse"))
	p.Output("r2", eval.Output("r2"))
	return p, nil
}

func main() {
	p, err := pipeline(filepath.Join("..", "components"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		fmt.Fprintln(os.Stderr, "(run it from its own directory)")
		os.Exit(1)
	}
	dsl.Main(p)
}
