package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/spec"
)

func newCompileCmd(stdout, stderr io.Writer) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "compile DIR [-o FILE] [-- ARG...]",
		Short: "Compile a pipeline written in Go to IR YAML",
		Long: `Compile a pipeline written with Sluice's Go SDK (package dsl) to KFP IR YAML.

DIR is a Go main package (or one .go file, or a directory holding exactly one
main package directory) whose main function builds the pipeline and calls
dsl.Main, which writes the YAML to standard output.
sluice compile runs it with "go run" in DIR itself, so that the files the
program reads (component YAML) are found relative to it, checks that what
it printed is a valid pipeline spec, and writes it to FILE or standard
output. Arguments after -- are passed to the program.

This needs the Go toolchain on PATH. Without it, build and run the program
yourself: go run ./DIR > pipeline.yaml.`,
		Example: `  sluice compile ./examples/gosdk/fanout -o fanout.yaml
  sluice run fanout.yaml
  sluice compile ./examples/tutorial -o tutorial.yaml   # runs ./examples/tutorial/gopipeline`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return compileGo(cmd.Context(), args[0], args[1:], out, stdout, stderr)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the YAML to `FILE` (default: standard output)")
	return cmd
}

func compileGo(ctx context.Context, target string, progArgs []string, out string, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	fi, err := os.Stat(target)
	if err != nil {
		return usagef("compile: %v", err)
	}
	dir, pkg := target, "."
	if fi.IsDir() && !hasGoFiles(dir) {
		// A directory holding one Go pipeline program below it, such as
		// examples/tutorial (whose program is examples/tutorial/gopipeline).
		var mains []string
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if sub := filepath.Join(dir, e.Name()); e.IsDir() && isMainPackage(sub) {
				mains = append(mains, sub)
			}
		}
		switch len(mains) {
		case 0:
			return usagef("compile: %s holds no Go files", target)
		case 1:
			dir = mains[0]
		default:
			return usagef("compile: %s holds no Go files but several Go programs: %s; name one", target, strings.Join(mains, ", "))
		}
	}
	if !fi.IsDir() {
		if !strings.HasSuffix(target, ".go") {
			return usagef("compile: %s is neither a directory (a Go main package) nor a .go file", target)
		}
		dir, pkg = filepath.Dir(target), filepath.Base(target)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return &exitError{code: ExitFailed, msg: fmt.Sprintf("compile: building a Go pipeline needs the Go toolchain, and \"go\" is not on PATH; "+
			"install Go (https://go.dev/dl/), or build the program elsewhere and run it: go run %s > pipeline.yaml", target)}
	}
	var yaml bytes.Buffer
	run := exec.CommandContext(ctx, goBin, append([]string{"run", pkg}, progArgs...)...)
	run.Dir = dir
	run.Stdout = &yaml
	run.Stderr = stderr
	if err := run.Run(); err != nil {
		if ctx.Err() != nil {
			return &exitError{code: ExitCanceled, msg: "compile: canceled"}
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return &exitError{code: ExitUsage, msg: fmt.Sprintf("compile: go run %s failed (%v); its messages are above", target, err)}
		}
		return &exitError{code: ExitFailed, msg: fmt.Sprintf("compile: %v", err)}
	}
	p, err := spec.Load(yaml.Bytes())
	if err != nil {
		return &exitError{code: ExitUsage, msg: fmt.Sprintf("compile: %s did not print a valid pipeline spec: %v", target, err)}
	}
	if p.Kind != spec.KindIR {
		return &exitError{code: ExitUsage, msg: fmt.Sprintf("compile: %s printed a v1 component, not a compiled pipeline", target)}
	}
	if out == "" || out == "-" {
		_, err = stdout.Write(yaml.Bytes())
	} else {
		err = os.WriteFile(out, yaml.Bytes(), 0o644)
	}
	if err != nil {
		return &exitError{code: ExitFailed, msg: fmt.Sprintf("compile: %v", err)}
	}
	return nil
}

// hasGoFiles reports whether dir holds .go files other than tests.
func hasGoFiles(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range m {
		if !strings.HasSuffix(f, "_test.go") {
			return true
		}
	}
	return false
}

// isMainPackage reports whether dir holds a Go main package.
func isMainPackage(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range m {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err == nil && mainClause().Match(b) {
			return true
		}
	}
	return false
}

var mainClause = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^package main\s*$`) })
