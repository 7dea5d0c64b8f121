package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/pycomponent"
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
	v1        bool
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
imports what it uses inside its body.

With --v1 it writes instead the v1 component YAML that kfp 1.8's
func_to_container_op (or create_component_from_func) writes, byte for byte:
the function's interface (str/int/float/bool/list/dict, typing.List/Dict,
InputPath/OutputPath, InputTextFile/OutputTextFile, InputBinaryFile/
OutputBinaryFile, a NamedTuple return, defaults and docstring descriptions)
and an argparse program running it. --base-image (default python:3.7, as
kfp 1.8) and --packages (packages_to_install) apply; --pip-index-url does
not. Such a file runs with sluice run, loads with load_component_from_file
in kfp 1.x and 2.x, and in a Go pipeline with dsl.LoadComponentFile.`,
		Example: `  sluice component from-python my_script.py:read_data -o components/read_data.yaml
  sluice component from-python train.py:train --packages numpy,scikit-learn --base-image python:3.11
  sluice component from-python tutorial.py:compute_average --v1 -o compute_average_component.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return fromPython(cmd, args[0], o, stdout)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.v1, "v1", false, "write a kfp 1.8 (func_to_container_op) v1 component instead")
	f.StringVar(&o.baseImage, "base-image", "", "container image the component runs in (default "+pycomponent.DefaultBaseImage+
		", with --v1 "+pycomponent.DefaultV1BaseImage+")")
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
	var data []byte
	var err error
	if o.v1 {
		if len(o.indexURLs) > 0 {
			return usagef("--pip-index-url: kfp 1.8 components have no package index setting (leave it out with --v1)")
		}
		var sig *pycomponent.V1Signature
		data, sig, err = pycomponent.FromPythonV1(cmd.Context(), o.python, file, fn, pycomponent.V1Options{
			BaseImage: o.baseImage,
			Packages:  pkgs,
		})
		if sig != nil {
			for _, w := range sig.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "sluice: warning: %s\n", w)
			}
		}
	} else {
		data, err = pycomponent.FromPython(cmd.Context(), o.python, file, fn, pycomponent.Options{
			BaseImage:    o.baseImage,
			Packages:     pkgs,
			PipIndexURLs: o.indexURLs,
		})
	}
	var ce *pycomponent.Error
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
