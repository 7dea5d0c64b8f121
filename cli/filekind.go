package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// dirHint explains why a directory is not a pipeline file and what to
// run instead: the pipeline file it holds, or `sluice compile` for a Go
// pipeline program in it or in one of its subdirectories.
func dirHint(dir string) string {
	var do []string
	for _, name := range []string{"pipeline.yaml", "pipeline.yml", "component.yaml"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Mode().IsRegular() {
			do = append(do, fmt.Sprintf("run its %s (sluice run %s)", name, filepath.Join(dir, name)))
			break
		}
	}
	goProgram := isMainPackage(dir)
	if !goProgram {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.IsDir() && isMainPackage(filepath.Join(dir, e.Name())) {
				goProgram = true
				break
			}
		}
	}
	if goProgram {
		do = append(do, fmt.Sprintf("compile its Go pipeline first (sluice compile %s -o pipeline.yaml, then sluice run pipeline.yaml)", dir))
	}
	msg := dir + " is a directory, not a pipeline file (KFP IR YAML, a v1 component or an Argo Workflow)"
	if len(do) > 0 {
		msg += ": " + strings.Join(do, ", or ")
	}
	return msg
}

// sourceHint says what to do with a file that failed to load as a
// pipeline when it is Python or Go source; "" for anything else.
func sourceHint(path string, data []byte) string {
	ext := strings.ToLower(filepath.Ext(path))
	head := data
	if len(head) > 4096 {
		head = head[:4096]
	}
	python := ext == ".py" || bytes.HasPrefix(head, []byte("#!")) && bytes.Contains(bytes.SplitN(head, []byte("\n"), 2)[0], []byte("python"))
	switch {
	case python:
		return fmt.Sprintf("%s is Python source, not a pipeline file: compile a KFP pipeline with the KFP SDK (kfp dsl compile --py %s --output pipeline.yaml), or make a component of one function with sluice component from-python %s:FUNCTION -o component.yaml and run that", path, path, path)
	case ext == ".go" || bytes.HasPrefix(bytes.TrimSpace(head), []byte("package ")):
		return fmt.Sprintf("%s is Go source, not a pipeline file: compile the program's directory first (sluice compile %s -o pipeline.yaml, then sluice run pipeline.yaml)", path, filepath.Dir(path))
	}
	return ""
}
