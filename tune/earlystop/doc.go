// Package earlystop decides which running trials of a tuning experiment to
// stop early, from the objective values each trial has reported so far
// (its learning curve). It implements the median stopping rule
// (algorithmName "medianstop") as published by Golovin et al. (Google
// Vizier, KDD 2017) and, with the setting katib_compat "true", the rule
// Katib actually applies (TUNING.md §3).
//
// Everything here is pure: the caller gathers the curves and acts on the
// decisions (cancels the run, marks the trial EarlyStopped).
package earlystop
