// Package schedule starts the runs of recurring runs: cron schedules (5 or
// 6 fields, seconds first as the KFP SDK documents, or descriptors such as
// @hourly) and fixed intervals, with start and end times, max concurrency
// and catch-up (or not) after the server was down.
package schedule
