// Package engine drives pipeline runs: it walks each DAG with the rules in
// package plan, resolves inputs, evaluates conditions, expands loops, runs
// container tasks through the launcher (with caching, retries and bounded
// parallelism), records every task's state changes and reports them to an
// observer, and cancels cleanly.
package engine
