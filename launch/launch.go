package launch

import (
	"encoding/json"
	"fmt"

	"github.com/sluicehq/sluice/spec"
)

// Spec tells the launcher that runs around a step's command on another
// machine what to stage: it downloads the input artifacts, runs the
// command, reads the outputs, uploads the output artifacts, the log and
// the outputs record. Artifacts live in the artifact store named by
// EnvArtifacts (credentials from the environment); paths are the KFP mount
// paths (/s3/bucket/key).
type Spec struct {
	// Protocol is the description's version: a launcher refuses one it
	// does not speak (a sluice binary older or newer than the server).
	Protocol int    `json:"protocol"`
	RunID    string `json:"runId"`
	TaskID   string `json:"taskId"`
	// Input is the step's ExecutorInput (artifact URIs, output files).
	Input *spec.ExecutorInput `json:"executorInput"`
	// Outputs are the component's output definitions.
	Outputs *spec.Interface `json:"outputDefinitions,omitempty"`
	// Requirements are the packages the step's pip step would install; the
	// launcher checks they are in the image.
	Requirements []string `json:"requirements,omitempty"`
	// Workspace is the run's workspace path in the pod, if it has one.
	Workspace string `json:"workspace,omitempty"`
	// MetaURI is the task's private directory in the store (see package
	// rundir): the log and the outputs record go there.
	MetaURI string `json:"metaUri"`
	// OutputFiles are the files the step declared it writes outputs to
	// (KFP v1 workflows' outputs; see spec.OutputFile).
	OutputFiles []spec.OutputFile `json:"outputFiles,omitempty"`
}

// Protocol is the version of Spec this sluice writes and reads.
const Protocol = 1

// Encode is the Spec as the value of EnvSpec.
func (s *Spec) Encode() (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("encode the launch description: %w", err)
	}
	return string(b), nil
}

// Decode reads the value of EnvSpec (Check tells whether this sluice can
// run it).
func Decode(v string) (*Spec, error) {
	var s Spec
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return nil, fmt.Errorf("$%s: %v", EnvSpec, err)
	}
	return &s, nil
}

// Check refuses a description of another protocol or without its input.
func (s *Spec) Check() error {
	if s.Protocol != Protocol {
		return fmt.Errorf("launch: the launch description is protocol %d, this sluice speaks %d: the sluice binary in the pod is not the server's version (rebuild the launcher image or the nodes' --launcher-host-path)", s.Protocol, Protocol)
	}
	if s.Input == nil || s.MetaURI == "" {
		return fmt.Errorf("launch: the launch description has no executorInput or metaUri")
	}
	return nil
}

// BinaryName is the in-pod launcher's own small binary (cmd/sluice-launch):
// the launcher image has it at /BinaryName, and pods run it from their
// launcher volume. It links the launcher and the artifact stores only, so
// it starts at once in a fresh container and is small (the full sluice binary
// links the server, the UI, client-go and the databases as well).
const BinaryName = "sluice-launch"

// ExitFailed is the exit code of the launcher when it failed itself
// (staging, outputs), as opposed to the step's command.
const ExitFailed = 125

// Environment variables.
const (
	// EnvSpec holds the launch description (Spec.Encode) for the launcher
	// in a pod.
	EnvSpec = "SLUICE_LAUNCH"
	// EnvArtifacts names the artifact store for the launcher in a pod.
	EnvArtifacts = "SLUICE_ARTIFACTS"
	// EnvRunID and EnvTaskID mark a step's processes (and everything they
	// start, which inherits them) with the run and task they belong to.
	EnvRunID  = "SLUICE_RUN_ID"
	EnvTaskID = "SLUICE_TASK_ID"
	// EnvStepID marks the processes of one attempt of a step, so that the
	// local executor finds the ones that left its process tree.
	EnvStepID = "SLUICE_STEP_ID"
	// EnvURIPathPrefix is the local directory bucket URIs are mapped under
	// (Prefix + spec.LocalPath(uri)), read by the Python runtime.
	EnvURIPathPrefix = "SLUICE_URI_PATH_PREFIX"
	// EnvWorkspacePath is the run's workspace, read by the Python runtime.
	EnvWorkspacePath = "SLUICE_WORKSPACE_PATH"
)
