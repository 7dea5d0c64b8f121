package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/pyruntime"
)

// ExitLaunchFailed is the exit code of `sluice launch` when the launcher
// itself failed (staging, outputs), as opposed to the step's command.
const ExitLaunchFailed = 125

// EnvLaunch holds the launch description (launcher.LaunchSpec as JSON).
const EnvLaunch = "SLUICE_LAUNCH"

func newLaunchCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "launch -- COMMAND [ARG...]",
		Short: "Run a step's command with Sluice's launcher (inside a pod)",
		Long: `launch is the launcher the Kubernetes executor runs around each step's
command inside its pod: it downloads the input artifacts from the artifact
store ($SLUICE_ARTIFACTS), runs the command, and uploads the output
artifacts, the log and the outputs record. The step is described by
$SLUICE_LAUNCH. It exits with the command's exit code, or 125 when the
launcher itself failed.`,
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLaunch(cmd.Context(), args, stdout)
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "install DEST",
		Short: "Copy this sluice binary to DEST (the pod's init container does this)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return installSelf(args[0])
		},
	})
	return cmd
}

func runLaunch(ctx context.Context, argv []string, stdout io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	fail := func(format string, a ...any) error {
		return &exitError{code: ExitLaunchFailed, msg: "launch: " + fmt.Sprintf(format, a...)}
	}
	raw := os.Getenv(EnvLaunch)
	if raw == "" {
		return fail("$%s is not set", EnvLaunch)
	}
	var ls launcher.LaunchSpec
	if err := json.Unmarshal([]byte(raw), &ls); err != nil {
		return fail("$%s: %v", EnvLaunch, err)
	}
	storeURL := os.Getenv(launcher.EnvArtifacts)
	if storeURL == "" {
		return fail("$%s is not set", launcher.EnvArtifacts)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := artifact.Open(ctx, storeURL)
	if err != nil {
		return fail("%v", err)
	}
	defer st.Close()
	pp, err := pyruntime.Install(filepath.Join(os.TempDir(), "sluice-pyruntime"))
	if err != nil {
		return fail("%v", err)
	}
	env := pyruntime.PythonPathEnv([]string{"PYTHONPATH=" + os.Getenv("PYTHONPATH")}, pp)
	code, err := launcher.Launch(ctx, &ls, st, argv, env, stdout)
	if err != nil {
		return fail("%v", err)
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// installSelf copies the running executable to dest, atomically: a binary
// that pods are running from is replaced, never rewritten in place.
func installSelf(dest string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	in, err := os.Open(self)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	out, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name()) // if anything below fails
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Chmod(0o755); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(out.Name(), dest)
}
