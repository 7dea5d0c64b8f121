package pyruntime

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

//go:embed checkreqs.py
var checkScript string

// DefaultCheckTimeout bounds CheckInstalled when ctx has no deadline.
const DefaultCheckTimeout = 60 * time.Second

// MissingPackagesError lists requirements that are not installed.
type MissingPackagesError struct {
	Missing []Requirement
}

func (e *MissingPackagesError) Error() string {
	msgs := make([]string, len(e.Missing))
	for i, r := range e.Missing {
		name := r.Name
		if name == "" {
			name = r.Raw
		}
		msgs[i] = fmt.Sprintf("package %q is not installed and no package index is reachable", name)
	}
	return strings.Join(msgs, "; ")
}

type checkResult struct {
	Python       string   `json:"python"`
	Missing      []int    `json:"missing"`
	Skipped      []int    `json:"skipped"`
	MarkerErrors []string `json:"marker_errors"`
}

// CheckInstalled verifies, with a single run of the python interpreter
// (default "python3"), that every requirement's distribution is installed,
// using importlib.metadata. kfp and kfp-* requirements are satisfied by the
// embedded shim and not checked; requirements whose environment marker is
// false for that interpreter (e.g. python_version<"3.9" on 3.11) are
// skipped. Version specifiers are NOT checked: a requirement counts as
// satisfied when any version of the distribution is present. Requirements
// without a name (URLs, "-r file") always count as missing.
//
// It returns nil, a *MissingPackagesError naming every missing requirement,
// or an error if the interpreter could not be run. If ctx has no deadline,
// DefaultCheckTimeout applies.
func CheckInstalled(ctx context.Context, python string, reqs []Requirement) error {
	var todo []Requirement
	for _, r := range reqs {
		if !r.IsKFP() {
			todo = append(todo, r)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if python == "" {
		python = "python3"
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultCheckTimeout)
		defer cancel()
	}
	type item struct {
		Name   string `json:"name"`
		Marker string `json:"marker"`
	}
	items := make([]item, len(todo))
	for i, r := range todo {
		items[i] = item{Name: r.Name, Marker: r.Marker}
	}
	in, err := json.Marshal(items)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, python, "-c", checkScript)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONIOENCODING=utf-8")
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("pyruntime: checking installed packages with %s: %w", python, ctx.Err())
		}
		return fmt.Errorf("pyruntime: checking installed packages with %s: %w: %s",
			python, err, strings.TrimSpace(stderr.String()))
	}
	var res checkResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return fmt.Errorf("pyruntime: checking installed packages with %s: bad output %q: %w",
			python, stdout.String(), err)
	}
	if len(res.Missing) == 0 {
		return nil
	}
	missing := &MissingPackagesError{}
	for _, i := range res.Missing {
		if i >= 0 && i < len(todo) {
			missing.Missing = append(missing.Missing, todo[i])
		}
	}
	return missing
}
