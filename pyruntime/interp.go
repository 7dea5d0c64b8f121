package pyruntime

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// LinkInterpreter resolves the interpreter that "python3" runs on this
// machine (following version-manager shims such as pyenv's, which cost a
// shell script and a lookup on every start) and links python3 and python to
// it in dir/bin. Steps get that directory first on PATH, so the generated
// launch script's python3 starts the same interpreter without the detour.
// It returns "" and no error when python3 is not installed.
func LinkInterpreter(ctx context.Context, dir string) (string, error) {
	if _, err := exec.LookPath("python3"); err != nil {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		return "", fmt.Errorf("resolve python3: %w", err)
	}
	real := strings.TrimSpace(string(out))
	if !filepath.IsAbs(real) {
		return "", fmt.Errorf("resolve python3: unexpected sys.executable %q", real)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return "", err
	}
	for _, name := range []string{"python3", "python"} {
		link := filepath.Join(bin, name)
		if cur, err := os.Readlink(link); err == nil && cur == real {
			continue
		}
		tmp := link + ".tmp"
		_ = os.Remove(tmp)
		if err := os.Symlink(real, tmp); err != nil {
			return "", err
		}
		if err := os.Rename(tmp, link); err != nil {
			return "", err
		}
	}
	return bin, nil
}
