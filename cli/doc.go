// Package cli implements the sluice command line. It maps errors to exit
// codes: 0 success, 1 a run that did not succeed or a failed operation,
// 2 bad input (usage, spec, parameters), 3 stopped following a run that
// goes on on the server (Ctrl-C on --wait, run wait), 130 canceled.
package cli
