package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// accepted is what Load reads, for the messages that refuse the rest.
const accepted = "Sluice runs KFP IR YAML, KFP v1 component YAML and KFP v1 Argo workflows"

// irKeys are the top-level keys of a compiled pipeline (or component).
var irKeys = []string{"pipelineInfo", "root", "components", "deploymentSpec", "schemaVersion", "sdkVersion", "defaultPipelineRoot"}

// looksLikeIR reports whether a document has any top-level key of KFP IR.
func looksLikeIR(doc map[string]any) bool {
	for _, k := range irKeys {
		if _, ok := doc[k]; ok {
			return true
		}
	}
	return false
}

// notAPipeline refuses a document that is none of the formats Load reads,
// saying what it looks like.
func notAPipeline(doc map[string]any) error {
	return errorf("", "the file is not a pipeline: it looks like %s; %s", lookalike(doc), accepted)
}

// lookalike guesses what a YAML or JSON mapping is.
func lookalike(doc map[string]any) string {
	api, _ := doc["apiVersion"].(string)
	kind, _ := doc["kind"].(string)
	has := func(k string) bool { _, ok := doc[k]; return ok }
	switch {
	case strings.HasPrefix(api, "argoproj.io/") && kind != "":
		return fmt.Sprintf("an Argo %s (Sluice runs kind: Workflow, as kfp 1.x compiles)", clip(kind))
	case api != "" && kind != "":
		return fmt.Sprintf("a Kubernetes %s (%s)", clip(kind), clip(api))
	case kind != "":
		return fmt.Sprintf("a %s manifest", clip(kind))
	case has("services") && (has("version") || has("volumes") || has("networks") || len(doc) <= 3):
		return "a Docker Compose file"
	case has("jobs") && (has("on") || has("name")):
		return "a CI workflow (GitHub Actions)"
	case has("openapi") || has("swagger"):
		return "an OpenAPI document"
	case has("name") && (has("container") || has("dag") || has("steps") || has("script")):
		return "an Argo template (one entry of a Workflow's spec.templates), not a whole Workflow"
	case has("name") && has("inputs") && has("outputs"):
		return "a component without an implementation"
	}
	keys := slices.Sorted(maps.Keys(doc))
	if len(keys) == 0 {
		return "an empty mapping"
	}
	for i, k := range keys {
		keys[i] = clip(k)
	}
	if len(keys) > 5 {
		keys = append(keys[:5], "…")
	}
	return "a mapping with keys " + strings.Join(keys, ", ")
}

func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}
