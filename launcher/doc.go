// Package launcher is the in-step runtime: for one container task it
// provisions output locations, builds the ExecutorInput, expands
// placeholders, prepares lightweight Python components, runs the process
// through an executor and reads back the outputs (ExecutorOutput file and
// output parameter files). Importer tasks are handled here too. The same code
// path serves every executor.
package launcher
