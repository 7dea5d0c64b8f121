// Package wire holds the JSON types of the Kubeflow Pipelines v2beta1 REST
// API, of its v1beta1 API (kfpv1.go) and the Argo Workflow that one shows
// (argo.go), and of Sluice's own routes, once: the api package writes them
// and the client package reads them.
//
// They follow grpc-gateway's protojson conventions on output: snake_case
// field names, enums as names, int64 as JSON strings, RFC 3339 UTC
// timestamps, unset fields left out. Their decoding is lenient, in their
// own UnmarshalJSON methods: an Int64 takes a string or a number, an Enum
// a name or a number, a Timestamp RFC 3339 or the zone-less form Python's
// isoformat() writes. The leaf types it depends on are runstate's states.
package wire
