package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MarshalStored encodes a pipeline in its stored form, the one the store
// keeps and the API serves as a pipeline version's pipeline_spec: the bare
// PipelineSpec JSON, or {"pipeline_spec": ..., "platform_spec": ...,
// "workflow": ...} when it has a platform spec or was translated from a
// KFP v1 workflow (kept under "workflow"). HTML characters are not escaped
// (protojson does not escape them either). LoadStored reads it back.
func MarshalStored(p *Pipeline) ([]byte, error) {
	var v any = p.Spec
	if p.Platform != nil || len(p.Workflow) > 0 {
		v = struct {
			PipelineSpec *PipelineSpec   `json:"pipeline_spec"`
			PlatformSpec *PlatformSpec   `json:"platform_spec,omitempty"`
			Workflow     json.RawMessage `json:"workflow,omitempty"`
		}{p.Spec, p.Platform, p.Workflow}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode pipeline spec: %w", err)
	}
	return bytes.TrimSpace(buf.Bytes()), nil
}

// StoredError is a part of a stored pipeline's wrapper that cannot be
// used: Part is "pipeline_spec" or "platform_spec".
type StoredError struct {
	Part string
	Err  error
}

func (e *StoredError) Error() string { return e.Part + ": " + e.Err.Error() }
func (e *StoredError) Unwrap() error { return e.Err }

// LoadStored loads a pipeline from its stored form (see MarshalStored). A
// JSON object with a "pipeline_spec" key and neither "root" nor
// "pipelineInfo" is the wrapper, whose parts' errors are *StoredError;
// anything else is read as Load reads a file. A platform_spec that is
// null or {} is none. A wrapper with a "workflow" object is a translated
// KFP v1 pipeline (KindArgo); its pipeline_spec is used as stored.
func LoadStored(b []byte) (*Pipeline, error) {
	var w struct {
		PipelineSpec json.RawMessage `json:"pipeline_spec"`
		PlatformSpec json.RawMessage `json:"platform_spec"`
		Workflow     json.RawMessage `json:"workflow"`
		Root         json.RawMessage `json:"root"`
		PipelineInfo json.RawMessage `json:"pipelineInfo"`
	}
	if b = bytes.TrimSpace(b); len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &w) != nil ||
		w.PipelineSpec == nil || w.Root != nil || w.PipelineInfo != nil {
		return Load(b)
	}
	p, err := Load(w.PipelineSpec)
	if err != nil {
		return nil, &StoredError{Part: "pipeline_spec", Err: err}
	}
	if !emptyJSON(w.PlatformSpec) {
		p.Platform = new(PlatformSpec)
		if err := json.Unmarshal(w.PlatformSpec, p.Platform); err != nil {
			return nil, &StoredError{Part: "platform_spec", Err: err}
		}
	}
	if wf := bytes.TrimSpace(w.Workflow); len(wf) > 0 && wf[0] == '{' {
		p.Kind, p.Workflow = KindArgo, append(json.RawMessage(nil), wf...)
	}
	return p, nil
}

// emptyJSON reports whether a raw value is absent, null or {}.
func emptyJSON(b json.RawMessage) bool {
	var m map[string]json.RawMessage
	return len(bytes.TrimSpace(b)) == 0 || json.Unmarshal(b, &m) == nil && len(m) == 0
}
