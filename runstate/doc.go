// Package runstate names the states of runs and tasks, as KFP names them
// (V2beta1RuntimeState). It is a leaf: plan decides with these states, the
// engine and the run service set them, the store keeps them and the API and
// the client speak them, all as the one State type.
package runstate
