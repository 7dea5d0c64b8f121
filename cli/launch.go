package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/launch"
	"github.com/sluicehq/sluice/launcher"
)

// ExitLaunchFailed is the exit code of `sluice launch` when the launcher
// itself failed (staging, outputs), as opposed to the step's command.
const ExitLaunchFailed = launch.ExitFailed

func newLaunchCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "launch -- COMMAND [ARG...]",
		Short: "Run a step's command with Sluice's launcher (inside a pod)",
		Long: `launch is the launcher the Kubernetes executor runs around each step's
command inside its pod: it downloads the input artifacts from the artifact
store ($SLUICE_ARTIFACTS), runs the command, and uploads the output
artifacts, the log and the outputs record. The step is described by
$SLUICE_LAUNCH. It exits with the command's exit code, or 125 when the
launcher itself failed. Pods run the same launcher as its own small
binary, sluice-launch (cmd/sluice-launch), which starts faster.`,
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if code := launcher.Main(cmd.Context(), append([]string{"--"}, args...), stdout, stderr); code != 0 {
				return &exitError{code: code} // launcher.Main said why
			}
			return nil
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "install DEST",
		Short: "Copy this sluice binary to DEST (the pod's init container does this)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return launcher.InstallSelf(args[0])
		},
	})
	return cmd
}
