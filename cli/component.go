package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/component"
)

func newComponentCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "component",
		Short: "Make component files (component from-python)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newFromPythonCmd(stdout))
	return cmd
}

type fromPythonOpts struct {
	baseImage string
	packages  []string
	indexURLs []string
	output    string
	python    string
}

func newFromPythonCmd(stdout io.Writer) *cobra.Command {
	o := &fromPythonOpts{}
	cmd := &cobra.Command{
		Use:   "from-python FILE.py:FUNC",
		Short: "Write the component of a Python function (as KFP's @dsl.component compiles it)",
		Long: `Read the signature of function FUNC in FILE.py (parsed with python3's ast:
the file is not imported, nothing in it runs) and write a KFP component YAML:
an IR PipelineSpec with one lightweight Python component, the same file the
KFP SDK compiles for @dsl.component. Sluice runs it, and so do KFP itself and
kfp.components.load_component_from_file.

Annotations: str, int, float, bool, list, dict (List[...], Dict[...],
Optional[...]) are parameters; Input[T], a bare artifact class (Dataset,
Model, Metrics, ...) and InputPath(...) are input artifacts; Output[T] and
OutputPath(...) are outputs; the return annotation (a type, or
NamedTuple('Outputs', [('name', type), ...])) gives the outputs "Output" or
the tuple's fields. A parameter with a default is optional. The docstring's
Args/Returns entries become descriptions.

The function must be self-contained: only its own source is embedded, so it
imports what it uses inside its body.`,
		Example: `  sluice component from-python my_script.py:read_data -o components/read_data.yaml
  sluice component from-python train.py:train --packages numpy,scikit-learn --base-image python:3.11`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return fromPython(cmd, args[0], o, stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.baseImage, "base-image", component.DefaultBaseImage, "container image the component runs in")
	f.StringSliceVar(&o.packages, "packages", nil, "pip packages to install before the function runs (comma-separated, repeatable)")
	f.StringArrayVar(&o.indexURLs, "pip-index-url", nil, "package index for --packages (repeatable; the first is the main index)")
	f.StringVarP(&o.output, "output", "o", "", "write the component to this file instead of stdout")
	f.StringVar(&o.python, "python", "python3", "Python interpreter that reads the signature")
	return cmd
}

func fromPython(cmd *cobra.Command, target string, o *fromPythonOpts, stdout io.Writer) error {
	file, fn, ok := cutLast(target, ":")
	if !ok || file == "" || fn == "" {
		return usagef("want FILE.py:FUNC, got %q", target)
	}
	if _, err := os.Stat(file); err != nil {
		return usagef("%v", err)
	}
	var pkgs []string
	for _, p := range o.packages {
		if p = strings.TrimSpace(p); p != "" {
			pkgs = append(pkgs, p)
		}
	}
	data, err := component.FromPython(cmd.Context(), o.python, file, fn, component.Options{
		BaseImage:    o.baseImage,
		Packages:     pkgs,
		PipIndexURLs: o.indexURLs,
	})
	var ce *component.Error
	switch {
	case errors.As(err, &ce):
		return usagef("%s", ce.Msg)
	case err != nil:
		return &exitError{code: ExitFailed, msg: err.Error()}
	}
	if o.output == "" {
		_, err := stdout.Write(data)
		return err
	}
	if dir := filepath.Dir(o.output); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return &exitError{code: ExitFailed, msg: err.Error()}
		}
	}
	if err := os.WriteFile(o.output, data, 0o644); err != nil {
		return &exitError{code: ExitFailed, msg: err.Error()}
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", o.output)
	return nil
}

// cutLast splits s around the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
