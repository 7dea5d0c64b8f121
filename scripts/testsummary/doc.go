// Command testsummary reads `go test -json` on standard input and prints
// what `go test` would (each package's result, the whole output of the
// tests that failed, build errors), then a summary of the skipped tests
// grouped by reason, so that a green run says what it did not test.
// scripts/test pipes the whole suite through it; its own exit status is 0
// unless the input cannot be read, so the pipeline keeps go test's.
//
//	go test -json ./... | go run ./scripts/testsummary
package main
