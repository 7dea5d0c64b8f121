// Package store persists pipelines, pipeline versions, experiments, runs,
// tasks, recurring runs, and tuning experiments with their trials in SQL: an embedded SQLite file by default,
// PostgreSQL for teams. Both engines run the same embedded numbered
// migrations and pass the same test suite. SQL lives here and nowhere else.
//
// Open picks the engine from the DSN and migrates the schema
// (migrations/<engine>/NNNN_name.up.sql, recorded in schema_migrations).
// Queries are written once with ? placeholders and rebound for PostgreSQL;
// what differs between the engines (time, JSON and boolean columns,
// substring and tag expressions, row locks, error codes) is in dialect.go.
//
// Lists page by keyset, never by OFFSET: a page token is base64 JSON of the
// list's sort, filter and the (sort value, id) of the last item, and every
// sortable column has an index ending in id. TotalSize is a COUNT with the
// same filter. ListRuns never reads run specs.
//
// Cascades: deleting a pipeline with cascade deletes its versions; deleting
// a run deletes its tasks; deleting an experiment deletes its runs (with
// their tasks) and its recurring runs; archiving an experiment archives its
// runs and disables its recurring runs; deleting a tuning experiment
// deletes its trials (its trials' runs are the caller's to delete). Runs outlive their pipelines and
// recurring runs: they keep their own copy of the spec.
package store
