package space

import "errors"

// ErrInvalid is wrapped by every FieldError, so callers can map any
// validation failure of a search space, an algorithm or its settings to a
// "bad request" with errors.Is.
var ErrInvalid = errors.New("invalid experiment")

// FieldError is a validation failure of one field of an experiment, named
// as in the Katib Experiment spec (for example
// "parameters[1].feasibleSpace.min" or
// "algorithm.algorithmSettings[n_startup_trials]").
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Invalid returns a *FieldError for field.
func Invalid(field, msg string) *FieldError { return &FieldError{Field: field, Msg: msg} }
