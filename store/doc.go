// Package store persists pipelines, pipeline versions, experiments, runs,
// tasks and recurring runs in SQL: an embedded SQLite file by default,
// PostgreSQL for teams. Both engines run the same embedded numbered
// migrations and pass the same test suite. SQL lives here and nowhere else.
package store
