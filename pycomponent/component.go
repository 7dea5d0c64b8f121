package pycomponent

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/sluicehq/sluice/pyruntime"
)

// DefaultBaseImage is the image a component runs in unless told otherwise:
// the default of the kfp release Sluice's runtime mirrors (2.10–2.14).
const DefaultBaseImage = "python:3.9"

//go:embed signature.py
var signatureScript string

// Signature is what Extract reads from a Python function.
type Signature struct {
	// Name is the Python function name.
	Name string `json:"name"`
	// Source is the function's source, decorators dropped, ending in "\n".
	Source string `json:"source"`
	// Description is the docstring's summary (first line, then the rest of
	// the text before the first section), or "".
	Description string `json:"description"`
	Inputs      []IO   `json:"inputs"`
	Outputs     []IO   `json:"outputs"`
}

// IO is one input or output of a component.
type IO struct {
	Name string `json:"name"`
	// Kind is "parameter" or "artifact".
	Kind string `json:"kind"`
	// Type is the IR parameter type (STRING, NUMBER_INTEGER, NUMBER_DOUBLE,
	// BOOLEAN, LIST, STRUCT, TASK_FINAL_STATUS) or the artifact schema title
	// (system.Dataset, ...).
	Type   string `json:"type"`
	IsList bool   `json:"isList"`
	// Optional, HasDefault and Default apply to inputs: an input is
	// optional when the Python parameter has a default (None included).
	Optional    bool   `json:"optional"`
	HasDefault  bool   `json:"hasDefault"`
	Default     any    `json:"default"`
	Description string `json:"description"`
}

// Error is a problem with the Python file or function: a syntax error, a
// missing function, an unsupported annotation. Its message names the file
// (with the line when known), the function and the parameter.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Extract reads the signature of function fn in the Python file path with
// python3 (the file is parsed, not imported: nothing in it runs).
func Extract(ctx context.Context, python, path, fn string) (*Signature, error) {
	var sig Signature
	if err := runSignatureScript(ctx, python, signatureScript, path, fn, &sig); err != nil {
		return nil, err
	}
	return &sig, nil
}

// runSignatureScript runs a signature script on function fn of file path
// and decodes the JSON it prints into out. Exit status 2 is a problem with
// the file (an *Error with the script's message).
func runSignatureScript(ctx context.Context, python, script, path, fn string, out any) error {
	if python == "" {
		python = "python3"
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, python, "-I", "-c", script, path, fn)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ee.ExitCode() == 2:
		return &Error{Msg: strings.TrimSpace(stderr.String())}
	case err != nil:
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("read the signature of %s with %s: %s", fn, python, msg)
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		return fmt.Errorf("read the signature of %s: bad output from %s: %w", fn, python, err)
	}
	return nil
}

// Options shape the generated component.
type Options struct {
	// BaseImage is the container image (default DefaultBaseImage).
	BaseImage string
	// Packages are pip requirements installed before the function runs.
	Packages []string
	// PipIndexURLs are the package indexes (the first is --index-url, the
	// others --extra-index-url; each is also a --trusted-host).
	PipIndexURLs []string
	// KFPVersion is the kfp release the pip step installs (default the one
	// Sluice's runtime mirrors, pyruntime.KFPVersion).
	KFPVersion string
	// SDKVersion is written as sdkVersion (default "kfp-" + KFPVersion).
	SDKVersion string
}

// Build writes the component YAML for a signature: a PipelineSpec holding
// one component, as the KFP SDK compiles a @dsl.component.
func Build(sig *Signature, o Options) ([]byte, error) {
	if o.BaseImage == "" {
		o.BaseImage = DefaultBaseImage
	}
	if o.KFPVersion == "" {
		o.KFPVersion = pyruntime.KFPVersion
	}
	if o.SDKVersion == "" {
		o.SDKVersion = "kfp-" + o.KFPVersion
	}
	name := k8sName(sig.Name)
	if name == "" {
		return nil, &Error{Msg: fmt.Sprintf("function %q: its name gives an empty component name", sig.Name)}
	}
	doc, err := pipelineSpec(sig, name, o)
	if err != nil {
		return nil, err
	}
	return []byte(header(sig, name) + marshalYAML(doc)), nil
}

// FromPython extracts the function's signature and builds its component.
func FromPython(ctx context.Context, python, path, fn string, o Options) ([]byte, error) {
	sig, err := Extract(ctx, python, path, fn)
	if err != nil {
		return nil, err
	}
	return Build(sig, o)
}

// k8sName is the KFP component name of a Python function: lower case, runs
// of other characters than [-0-9a-z] become "-", no "-" at either end.
func k8sName(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r == '-' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') {
			if r == '-' {
				if dash {
					continue
				}
				dash = true
			} else {
				dash = false
			}
			b.WriteRune(r)
			continue
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-")
}
