// Package space owns the search space of a tuning experiment: the declared
// parameters (int, double, categorical, discrete, with Katib's feasible
// space: min/max/step, list, and the uniform, log-uniform, normal and
// log-normal distributions), their validation with errors naming the field,
// and the one sampling layer every search algorithm uses.
//
// A validated Space maps each parameter to an internal coordinate: the value
// itself (numbers), its natural logarithm (log-uniform and log-normal
// parameters) or the index of the choice (categorical and discrete). A Point
// holds one coordinate per parameter; Format turns it into the assignment
// strings a trial receives and Parse reads them back. Stepped values are
// computed in exact decimal arithmetic from the declared strings, so a step
// of 0.1 gives "0.3", never "0.30000000000000004".
//
// Everything here is pure: randomness comes from the *rand.Rand the caller
// passes (math/rand/v2 with an explicit seed).
package space
