package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/version"
)

// Exit codes.
const (
	ExitOK     = 0
	ExitFailed = 1
	ExitUsage  = 2
	// ExitDetached is Ctrl-C while following a run or a tuning experiment
	// on a server: the CLI stopped following, the run goes on.
	ExitDetached = 3
	// ExitCanceled is a run or an experiment that ended canceled (locally,
	// Ctrl-C cancels it).
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
	root.Version = version.Get().String()
	root.SetVersionTemplate("sluice {{.Version}}\n")
	root.AddCommand(newVersionCmd(stdout))
	root.AddCommand(newRunCmd(stdout, stderr))
	root.AddCommand(newTuneCmd(stdout, stderr))
	root.AddCommand(newServerCmd(stdout, stderr))
	root.AddCommand(newCompileCmd(stdout, stderr))
	root.AddCommand(newComponentCmd(stdout))
	root.AddCommand(newLaunchCmd(stdout, stderr))
	addRemoteCmds(root, stdout, stderr)
	addSuggestions(root)
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

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show which Sluice this is: its version, commit and Go build",
		Long: `Show which Sluice this is, from the build information Go embeds in the
binary: the module version (a release tag, or the pseudo-version go build
derives from the commit, "+dirty" with uncommitted changes), the commit and
its time, and the Go version. A binary built by go run or go test has no
version control information and says "devel". sluice --version prints the
first line only; the server reports the same in healthz (tag_name,
commit_sha) and the web UI's footer.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := io.WriteString(stdout, version.Get().Long())
			return err
		},
	}
}
