// Command gopipeline is the kfp 1.x tutorial pipeline (../my_pipeline.py)
// written in Go: it loads the three v1 component files that
// `sluice component from-python --v1` (or kfp 1.8's func_to_container_op)
// made from ../tutorial.py, and wires read_data -> compute_average ->
// save_result.
//
// Compile it (the program runs in its own directory, so the component paths
// are relative to it):
//
//	sluice compile ./examples/tutorial/v1/gopipeline -o my_pipeline.yaml
//	sluice run my_pipeline.yaml
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sluicehq/sluice/dsl"
)

// pipeline builds the pipeline from the component files in dir.
func pipeline(dir string) (*dsl.Pipeline, error) {
	var comps []*dsl.LoadedComponent
	for _, name := range []string{"read_data", "compute_average", "save_result"} {
		c, err := dsl.LoadComponentFile(filepath.Join(dir, name+"_component.yaml"))
		if err != nil {
			return nil, err
		}
		comps = append(comps, c)
	}
	readData, computeAverage, saveResult := comps[0], comps[1], comps[2]

	p := dsl.NewPipeline("my-first-pipeline").
		SetDescription("A simple pipeline that computes the average of an array.")
	data := p.Task(readData, nil)
	avg := p.Task(computeAverage, dsl.Inputs{"data": data.Output("output")})
	p.Task(saveResult, dsl.Inputs{"value": avg.Output("output")})
	p.Output("average", avg.Output("output"))
	return p, nil
}

func main() {
	p, err := pipeline(filepath.Join("..", "components"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		fmt.Fprintln(os.Stderr, "(run it from its own directory, or with sluice compile)")
		os.Exit(1)
	}
	dsl.Main(p)
}
