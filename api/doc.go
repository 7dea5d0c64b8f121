// Package api serves the Kubeflow Pipelines v2beta1 REST API
// (/apis/v2beta1/...) over the store and the run executor, wire-compatible
// with the kfp 2.x Python client (kfp.Client) and the KFP UI's API calls,
// and the v1beta1 API (/apis/v1beta1/..., v1*.go) that kfp 1.x's client
// speaks: another view of the same store and run service, with v1's
// resource references, text parameters, status names, error shape
// ({error, code, message, details}) and an Argo-shaped workflow_manifest
// built from the run's task records (v1workflow.go).
//
// Handlers decode a request, call the store or the executor (Runs), and
// encode the result. Wire types (KFP JSON) are converted to store types
// here and nowhere else, and errors become HTTP statuses in one place
// (classify in errors.go).
//
// Output follows grpc-gateway's protojson conventions: snake_case field
// names, enums as names, int64 as JSON strings, RFC 3339 UTC timestamps,
// unset fields left out; the one camelCase key is ListRecurringRuns'
// "recurringRuns". Input is more lenient than KFP's: unknown fields are
// ignored, lowerCamelCase keys are accepted, int64 fields take strings or
// numbers and enums names or numbers.
//
// List filters accept every quirk of KFP's Filter JSON: numeric or named
// operations, camelCase value keys (the SDK's "stringValue"), a filter
// URL-encoded twice (the UI's), "name" as an alias of display_name for
// runs, experiments and recurring runs, "id" for the resource id,
// timestamp_value as RFC 3339 (or Unix seconds), and the *_values arrays
// for IN.
//
// Errors are google.rpc.Status bodies ({code, message, details}) with gRPC
// codes: InvalidArgument 3 (400), NotFound 5 (404), AlreadyExists 6 (409),
// FailedPrecondition 9 (400; 409 for a state conflict such as deleting a
// pipeline that still has versions), Unauthenticated 16 (401), Internal 13
// (500). The multipart uploads (/pipelines/upload, /pipelines/upload_version)
// answer with KFP's v1 shape {error_message, error_details}. A body over
// Config.MaxUploadBytes is 413. Unknown routes are 404 and known routes
// called with the wrong method 405, both as JSON.
//
// Every request passes the Guard (guard.go): a Host that is not a name of
// the server, or a write from another origin, is 403 PermissionDenied; a
// write whose body is not JSON (multipart for the uploads) is 415.
// Artifacts are served in a CSP sandbox as attachments (?preview=true:
// inline), and every answer carries nosniff, X-Frame-Options and
// Referrer-Policy headers.
//
// Sluice differences from KFP: single-user only, like KFP's single-user
// mode (healthz reports multi_user false and namespace inputs are
// accepted and ignored); pipeline_version.package_url is fetched from
// http(s) URLs of public addresses (unless Config.AllowPrivatePackageURLs;
// every failed fetch has one message) or from the server's artifact store
// (bounded like an upload; file:// and local paths are refused); a filter
// has at most store.MaxFilterPredicates predicates and
// store.MaxFilterValues values; a page holds at most store.MaxPageBytes of
// rows (pageItems), so it can hold fewer rows than page_size with a
// next_page_token; a run's parameter values are bounded
// (plan.MaxParamBytes, plan.MaxParamsBytes); trigger conditions and other expressions
// are checked when a spec comes in (plan.CheckExpressions); there is no ML Metadata,
// so task details carry no execution_id, artifact_ids or pod_name (the
// local executor has no pods; Sluice's task records under /apis/sluice/v1
// have every input and output); a run or recurring run given
// pipeline_version_reference without a version is pinned to the latest
// version when it is created; a recurring run without max_concurrency gets
// 1 instead of an error.
package api
