package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitFailed   = 1
	ExitUsage    = 2
	ExitCanceled = 130
)

// exitError carries an exit code; its message (if any) is printed on stderr.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &exitError{code: ExitUsage, msg: fmt.Sprintf(format, args...)}
}

// Main runs the command line and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "sluice: "+oneLine(ee.msg))
		}
		return ee.code
	}
	// Errors from cobra itself (unknown flag, wrong arg count) are usage errors.
	fmt.Fprintln(stderr, "sluice: "+oneLine(err.Error()))
	if isUsage(err) {
		return ExitUsage
	}
	return ExitFailed
}

func isUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires ", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "sluice",
		Short:         "Kubeflow Pipelines in one binary",
		Long:          "Sluice runs pipelines compiled by the Kubeflow Pipelines SDK (IR YAML) and v1 component files, locally or as a server.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newRunCmd(stdout, stderr))
	root.AddCommand(newTuneCmd(stdout, stderr))
	root.AddCommand(newServerCmd(stdout, stderr))
	root.AddCommand(newCompileCmd(stdout, stderr))
	root.AddCommand(newComponentCmd(stdout))
	root.AddCommand(newLaunchCmd(stdout, stderr))
	addRemoteCmds(root, stdout, stderr)
	return root
}

// home is Sluice's data directory: $SLUICE_HOME, else ~/.sluice.
func home() string {
	if h := os.Getenv("SLUICE_HOME"); h != "" {
		return h
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".sluice")
	}
	return ".sluice"
}
