// Package search owns the search algorithms of hyperparameter tuning:
// random, grid, sobol, tpe, multivariate-tpe, cmaes, hyperband and
// bayesianoptimization, with Katib's algorithm names, setting names and
// defaults (docs/TUNING.md lists them and where Sluice differs).
//
// New validates an algorithm and its settings against a space.Space and
// returns a Suggester; Suggest takes every trial of the experiment (any
// state, creation order) and returns new assignments. No algorithm keeps
// state between calls: each suggestion is a pure function of the space,
// the settings, the seed, the trials and the trial's position t in the
// experiment (its random source is seeded by the seed and t). So a server
// that restarts and passes the same stored trials gets the same next
// suggestion, and asking for n at once equals asking n times for one with
// the earlier ones passed back as Pending. CMA-ES generations and
// Hyperband rungs are rebuilt from the labels the algorithms put on their
// suggestions, which the caller stores with each trial.
//
// Nothing here has clocks, goroutines of its own, storage or I/O.
// (gonum's optimizer, used to fit the Gaussian process, runs its method on
// an internal goroutine that ends before the call returns.)
package search
