package launcher

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/launch"
	"github.com/sluicehq/sluice/pyruntime"
)

// Main is the in-pod launcher's command line, for `sluice-launch` and
// `sluice launch`:
//
//	-- COMMAND [ARG...]   run a step: stage inputs, run it, upload outputs
//	install DEST          copy this binary to DEST (the init container)
//
// It returns the exit code: the command's, or launch.ExitFailed (with one
// line on stderr) when the launcher failed, or 2 for a usage error.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const usage = "sluice: launch: usage: -- COMMAND [ARG...], or install DEST"
	switch {
	case len(args) == 2 && args[0] == "install":
		if err := InstallSelf(args[1]); err != nil {
			fmt.Fprintf(stderr, "sluice: launch install: %v\n", oneLine(err.Error()))
			return launch.ExitFailed
		}
		return 0
	case len(args) < 2 || args[0] != "--":
		fmt.Fprintln(stderr, usage)
		return 2
	}
	args = args[1:]
	code, err := launchFromEnv(ctx, args, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "sluice: launch: %s\n", oneLine(err.Error()))
		return launch.ExitFailed
	}
	return code
}

// launchFromEnv runs argv as the step $SLUICE_LAUNCH (launch.EnvSpec)
// describes, with the artifact store $SLUICE_ARTIFACTS names.
func launchFromEnv(ctx context.Context, argv []string, stdout io.Writer) (int, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	raw := os.Getenv(launch.EnvSpec)
	if raw == "" {
		return -1, fmt.Errorf("$%s is not set", launch.EnvSpec)
	}
	ls, err := launch.Decode(raw)
	if err != nil {
		return -1, err
	}
	storeURL := os.Getenv(launch.EnvArtifacts)
	if storeURL == "" {
		return -1, fmt.Errorf("$%s is not set", launch.EnvArtifacts)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := artifact.Open(ctx, storeURL)
	if err != nil {
		return -1, err
	}
	defer st.Close()
	pp, err := pyruntime.Install(filepath.Join(os.TempDir(), "sluice-pyruntime"))
	if err != nil {
		return -1, err
	}
	env := pyruntime.PythonPathEnv([]string{"PYTHONPATH=" + os.Getenv("PYTHONPATH")}, pp)
	return Launch(ctx, ls, st, argv, env, stdout)
}

// InstallSelf copies the running executable to dest, atomically: a binary
// that pods are running from is replaced, never rewritten in place.
func InstallSelf(dest string) error {
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

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
