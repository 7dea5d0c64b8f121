package ir

import "fmt"

// Error is a problem with a pipeline file: a spec, a component or a
// workflow that is loaded, translated or validated. Field names the part
// at fault, when there is one ("root.dag.tasks.train.componentRef",
// "spec.templates[flip].dag.tasks[print].when"). spec and spec/argo both
// return it, so a caller tells a bad file from other failures with one
// errors.As.
type Error struct {
	Field string
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Errorf returns an *Error naming field.
func Errorf(field, format string, args ...any) error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...)}
}
