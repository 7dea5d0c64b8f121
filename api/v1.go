package api

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/wire"
)

// The v1beta1 API (kfp 1.x's kfp.Client) is another view of the same
// store and run service: its handlers convert v1 resources (resource
// references, text parameters, Argo phase names) to the store's and back.
// See ../shared/kfp/V1.md §4 for the contract.

const v1prefix = "/apis/v1beta1"

func isV1(path string) bool { return strings.HasPrefix(path, v1prefix+"/") }

func (s *server) v1Routes() {
	rpc := func(pattern string, h func(*http.Request) (any, error)) {
		s.mux.Handle(strings.Replace(pattern, " /", " "+v1prefix+"/", 1), s.rpc(h))
	}
	s.mux.HandleFunc("GET "+v1prefix+"/healthz", s.healthz)

	rpc("POST /experiments", s.v1CreateExperiment)
	rpc("GET /experiments", s.v1ListExperiments)
	rpc("GET /experiments/{experiment_id}", s.v1GetExperiment)
	rpc("DELETE /experiments/{experiment_id}", s.deleteExperiment)
	rpc("POST /experiments/{action}", s.experimentAction)

	s.mux.HandleFunc("POST "+v1prefix+"/pipelines/upload", s.v1UploadPipeline)
	s.mux.HandleFunc("POST "+v1prefix+"/pipelines/upload_version", s.v1UploadPipelineVersion)
	rpc("POST /pipelines", s.v1CreatePipeline)
	rpc("GET /pipelines", s.v1ListPipelines)
	rpc("GET /pipelines/{pipeline_id}", s.v1GetPipeline)
	rpc("DELETE /pipelines/{pipeline_id}", s.v1DeletePipeline)
	rpc("GET /pipelines/{pipeline_id}/templates", s.v1PipelineTemplate)
	rpc("POST /pipeline_versions", s.v1CreateVersion)
	rpc("GET /pipeline_versions", s.v1ListVersions)
	rpc("GET /pipeline_versions/{version_id}", s.v1GetVersion)
	rpc("DELETE /pipeline_versions/{version_id}", s.v1DeleteVersion)
	rpc("GET /pipeline_versions/{version_id}/templates", s.v1VersionTemplate)

	rpc("POST /runs", s.v1CreateRun)
	rpc("GET /runs", s.v1ListRuns)
	rpc("GET /runs/{run_id}", s.v1GetRun)
	rpc("DELETE /runs/{run_id}", s.deleteRun)
	rpc("POST /runs/{action}", s.v1RunArchive)
	rpc("POST /runs/{run_id}/terminate", s.v1TerminateRun)
	rpc("POST /runs/{run_id}/retry", s.v1RetryRun)
	rpc("GET /runs/{run_id}/nodes/{node_id}/artifacts/{action}", s.v1ReadArtifact)

	rpc("POST /jobs", s.v1CreateJob)
	rpc("GET /jobs", s.v1ListJobs)
	rpc("GET /jobs/{job_id}", s.v1GetJob)
	rpc("DELETE /jobs/{job_id}", s.v1DeleteJob)
	rpc("POST /jobs/{job_id}/enable", s.v1EnableJob)
	rpc("POST /jobs/{job_id}/disable", s.v1DisableJob)
}

// writeV1RPCError writes err in the v1beta1 shape: {error, code, message,
// details}.
func writeV1RPCError(w http.ResponseWriter, err error) int {
	code, status, msg := classify(err)
	writeJSON(w, status, wire.V1Error{
		Error:   msg,
		Code:    code,
		Message: msg,
		Details: []wire.V1ErrorDetail{{Type: "type.googleapis.com/google.rpc.Status", Code: code, Message: msg}},
	})
	return status
}

// decodeV1Body reads a v1 request body: as decodeBody, but lowerCamelCase
// keys are rewritten inside pipeline_spec too (a v1 pipeline_spec holds
// API fields, not a spec); only the runtime parameters stay as sent.
func (s *server) decodeV1Body(r *http.Request, what string, out any) error {
	b, err := readBody(r, s.cfg.MaxUploadBytes)
	if err != nil {
		return err
	}
	return decodeJSONWith(b, what, out, v1Verbatim)
}

var v1Verbatim = map[string]bool{"runtime_config": true}

// ---- resource references ----

func v1Ref(typ, id, name, rel string) wire.V1ResourceReference {
	return wire.V1ResourceReference{Key: &wire.V1ResourceKey{Type: wire.Enum(typ), ID: id}, Name: name, Relationship: wire.Enum(rel)}
}

// v1Refs is what a request's resource_references say.
type v1Refs struct {
	experiment, pipeline, version, namespace string
	hasNamespace                             bool
}

// readRefs reads resource_references, naming the field of a bad one.
func readRefs(refs []wire.V1ResourceReference) (v1Refs, error) {
	var out v1Refs
	for i, ref := range refs {
		if ref.Key == nil {
			return out, invalidf("resource_references[%d].key is required", i)
		}
		typ, err := enumName(ref.Key.Type, "resource_references.key.type", wire.V1ResourceTypeNames)
		if err != nil {
			return out, err
		}
		if _, err := enumName(ref.Relationship, "resource_references.relationship", wire.V1RelationshipNames); err != nil {
			return out, err
		}
		id := strings.TrimSpace(ref.Key.ID)
		switch typ {
		case "EXPERIMENT":
			out.experiment = id
		case "PIPELINE":
			out.pipeline = id
		case "PIPELINE_VERSION":
			out.version = id
		case "NAMESPACE":
			out.namespace, out.hasNamespace = id, true
		case "JOB":
			// A run made by a job: set by the scheduler, not by clients.
		default:
			return out, invalidf("resource_references[%d].key.type must be set (EXPERIMENT, PIPELINE_VERSION, PIPELINE or NAMESPACE)", i)
		}
		if id == "" && typ != "NAMESPACE" {
			return out, invalidf("resource_references[%d].key.id is required for a %s reference", i, typ)
		}
	}
	return out, nil
}

// refFilter turns resource_reference_key.type/.id (or resource_key.* for
// pipeline versions) of a list into a filter on key, for the types it
// accepts. A NAMESPACE (the only one of a single-user server) filters
// nothing.
func refFilter(q url.Values, prefix string, keys map[string]string) ([]store.Predicate, error) {
	typ, id := strings.TrimSpace(q.Get(prefix+".type")), strings.TrimSpace(q.Get(prefix+".id"))
	if typ == "" {
		return nil, nil
	}
	name, err := wire.Enum(typ).Name(wire.V1ResourceTypeNames)
	if err != nil {
		return nil, invalidf("%s.type: %v", prefix, err)
	}
	if name == "NAMESPACE" {
		return nil, nil
	}
	key, ok := keys[name]
	if !ok {
		return nil, invalidf("%s.type: this list cannot be filtered by %s", prefix, name)
	}
	if id == "" {
		return nil, invalidf("%s.id is required with %s.type %s", prefix, prefix, name)
	}
	return []store.Predicate{{Key: key, Op: store.OpEquals, Value: id}}, nil
}

// ---- states ----

// v1Status is a run's state as v1beta1 names it (KFP's mapping: canceled
// runs are Failed, canceling ones Terminating).
func v1Status(st runstate.State) string {
	switch st {
	case runstate.Pending, runstate.Paused:
		return "Pending"
	case runstate.Running:
		return "Running"
	case runstate.Succeeded:
		return "Succeeded"
	case runstate.Skipped:
		return "Skipped"
	case runstate.Failed, runstate.Canceled:
		return "Failed"
	case runstate.Canceling:
		return "Terminating"
	}
	return "Unknown"
}

func v1StorageState(st string) wire.Enum {
	if st == store.Archived {
		return "STORAGESTATE_ARCHIVED"
	}
	return "STORAGESTATE_AVAILABLE"
}

// ---- parameters ----

// v1Params lists a stored parameter object as v1 text parameters, by
// name: strings as they are, other values as JSON.
func v1Params(raw []byte) []wire.V1Parameter {
	var m map[string]json.RawMessage
	if len(rawOrNil(raw)) == 0 || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	out := make([]wire.V1Parameter, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, wire.V1Parameter{Name: k, Value: paramText(m[k])})
	}
	return out
}

func paramText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// v1ParamObject turns v1 text parameters into the parameter object the
// store keeps (checkParams types them by the pipeline's inputs). A
// runtime_config's typed parameters are merged in.
func v1ParamObject(ps []wire.V1Parameter, rc *wire.V1RuntimeConfig) (json.RawMessage, error) {
	m := map[string]any{}
	for i, p := range ps {
		name := strings.TrimSpace(p.Name)
		if name == "" {
			return nil, invalidf("pipeline_spec.parameters[%d].name is required", i)
		}
		if _, dup := m[name]; dup {
			return nil, invalidf("pipeline_spec.parameters: %q is given twice", name)
		}
		m[name] = p.Value
	}
	if rc != nil && !isEmptyJSON(rc.Parameters) {
		var typed map[string]any
		if err := json.Unmarshal(rc.Parameters, &typed); err != nil {
			return nil, invalidf("pipeline_spec.runtime_config.parameters must be a JSON object of parameter values, got %s", abbrev(rc.Parameters))
		}
		for k, v := range typed {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	return b, err
}

// experimentNames caches experiment names within one request.
type experimentNames struct {
	s     *server
	ctx   context.Context
	names map[string]string
}

func (e *experimentNames) name(id string) string {
	if id == "" {
		return ""
	}
	if n, ok := e.names[id]; ok {
		return n
	}
	n := ""
	if x, err := e.s.st.GetExperiment(e.ctx, id); err == nil {
		n = x.DisplayName
	}
	if e.names == nil {
		e.names = map[string]string{}
	}
	e.names[id] = n
	return n
}
