package dsl

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// Main is the whole main function of a program that defines a pipeline:
// it compiles p and writes the IR YAML to the file named by -o, or to
// standard output. Mistakes are printed one per line on standard error and
// the program exits with status 1 (2 for bad flags).
//
//	func main() {
//		p := dsl.NewPipeline("hello")
//		...
//		dsl.Main(p)
//	}
//
// `go run ./mypipeline -o pipeline.yaml` and `sluice compile ./mypipeline -o
// pipeline.yaml` both run it.
func Main(p *Pipeline) {
	os.Exit(run(p, os.Args[1:], os.Stdout, os.Stderr))
}

func run(p *Pipeline, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(os.Args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the pipeline spec to `FILE` (default: standard output)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s [-o FILE]\n\nCompiles pipeline %q to KFP IR YAML.\n\n", fs.Name(), p.Name())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %q\n", fs.Args())
		return 2
	}
	b, err := p.YAML()
	if err != nil {
		var es Errors
		if errors.As(err, &es) {
			fmt.Fprintf(stderr, "pipeline %q has %d error(s):\n", p.Name(), len(es))
			for _, e := range es {
				fmt.Fprintln(stderr, "  "+e.Error())
			}
		} else {
			fmt.Fprintln(stderr, err)
		}
		return 1
	}
	if *out == "" || *out == "-" {
		_, err = stdout.Write(b)
	} else {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
