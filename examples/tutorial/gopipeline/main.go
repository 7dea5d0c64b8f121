// Command gopipeline is the tutorial pipeline written in Go: it loads the
// three components made from my_script.py (../components/*.yaml) and wires
// read_data -> compute_average -> save_result.
//
// Compile it (the program runs in its own directory, so the component paths
// are relative to it):
//
//	sluice compile ./examples/tutorial/gopipeline -o tutorial.yaml
//	sluice run tutorial.yaml -p numbers=2,4,9
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sluicehq/sluice/dsl"
)

// pipeline builds the tutorial pipeline from the component files in dir.
func pipeline(dir string) (*dsl.Pipeline, error) {
	load := func(name string) (*dsl.LoadedComponent, error) {
		return dsl.LoadComponentFile(filepath.Join(dir, name+".yaml"))
	}
	readData, err := load("read_data")
	if err != nil {
		return nil, err
	}
	computeAverage, err := load("compute_average")
	if err != nil {
		return nil, err
	}
	saveResult, err := load("save_result")
	if err != nil {
		return nil, err
	}

	p := dsl.NewPipeline("tutorial-go").SetDescription("Read numbers, compute their average, save it.")
	numbers := p.StringParam("numbers", "1,2,3,4,5")
	data := p.Task(readData, dsl.Inputs{"numbers": numbers})
	avg := p.Task(computeAverage, dsl.Inputs{"data": data.Output("data")})
	saved := p.Task(saveResult, dsl.Inputs{"average": avg.Output("Output")})
	p.Output("result", saved.Output("result"))
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
