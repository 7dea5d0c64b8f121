package server

import (
	"encoding/json"
	"net/url"

	"github.com/sluicehq/sluice/spec"
)

var urlParse = url.Parse

// SpecJSON is how a pipeline spec is stored: the bare PipelineSpec JSON, or
// {"pipeline_spec": ..., "platform_spec": ...} when there is a platform spec.
func SpecJSON(p *spec.Pipeline) ([]byte, error) {
	if p.Platform == nil {
		return json.Marshal(p.Spec)
	}
	return json.Marshal(map[string]any{"pipeline_spec": p.Spec, "platform_spec": p.Platform})
}
