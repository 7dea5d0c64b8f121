package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// ExecutorInput is what a container step receives ({{$}}).
type ExecutorInput struct {
	Inputs  ExecutorInputs  `json:"inputs"`
	Outputs ExecutorOutputs `json:"outputs"`
}

// ExecutorInputs are the resolved inputs of a step.
type ExecutorInputs struct {
	ParameterValues map[string]any           `json:"parameterValues,omitempty"`
	Artifacts       map[string]*ArtifactList `json:"artifacts,omitempty"`
}

// ExecutorOutputs are the provisioned outputs of a step.
type ExecutorOutputs struct {
	Parameters map[string]*OutputParameter `json:"parameters,omitempty"`
	Artifacts  map[string]*ArtifactList    `json:"artifacts,omitempty"`
	OutputFile string                      `json:"outputFile"`
}

// OutputParameter says where a step writes an output parameter.
type OutputParameter struct {
	OutputFile string `json:"outputFile"`
}

// ArtifactList is a list of runtime artifacts.
type ArtifactList struct {
	Artifacts []*RuntimeArtifact `json:"artifacts"`
}

// RuntimeArtifact is one artifact instance.
type RuntimeArtifact struct {
	Name       string         `json:"name,omitempty"`
	URI        string         `json:"uri"`
	Type       ArtifactType   `json:"type"`
	Metadata   map[string]any `json:"metadata"`
	CustomPath string         `json:"customPath,omitempty"`
}

// ExecutorOutput is the optional file a step writes at outputs.outputFile.
type ExecutorOutput struct {
	ParameterValues map[string]any           `json:"parameterValues,omitempty"`
	Parameters      map[string]TypedValue    `json:"parameters,omitempty"`
	Artifacts       map[string]*ArtifactList `json:"artifacts,omitempty"`
}

// Double is a NUMBER_DOUBLE parameter value in an ExecutorInput. It encodes
// with a decimal point (3.0, not 3), so that a Python component receives a
// float for a float parameter even when the value is integral. Placeholder
// text stays as KFP renders it (3).
type Double float64

// MarshalJSON encodes d as a JSON number that always reads back as a float.
func (d Double) MarshalJSON() ([]byte, error) {
	f := float64(d)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("cannot encode %v as JSON", f)
	}
	b := strconv.AppendFloat(nil, f, 'g', -1, 64)
	if !bytes.ContainsAny(b, ".eE") {
		b = append(b, '.', '0')
	}
	return b, nil
}

// UnmarshalJSON reads a runtime artifact, accepting the snake_case
// custom_path the Python executor writes as well as customPath.
func (a *RuntimeArtifact) UnmarshalJSON(b []byte) error {
	type plain RuntimeArtifact
	var x struct {
		plain
		CustomPathSnake string `json:"custom_path,omitempty"`
	}
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	*a = RuntimeArtifact(x.plain)
	if a.CustomPath == "" {
		a.CustomPath = x.CustomPathSnake
	}
	return nil
}
