package ir

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestTypedValue(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
	}{
		{`{"stringValue": "a"}`, "a"},
		{`{"intValue": "42"}`, 42.0},
		{`{"intValue": "4x"}`, "4x"},
		{`{"doubleValue": 0.5}`, 0.5},
		{`{}`, nil},
	} {
		var v TypedValue
		if err := json.Unmarshal([]byte(tc.in), &v); err != nil {
			t.Fatal(err)
		}
		if got := v.Value(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestError(t *testing.T) {
	err := Errorf("root.dag.tasks[a]", "unknown component %q", "c")
	var e *Error
	if !errors.As(err, &e) || e.Field != "root.dag.tasks[a]" || e.Msg != `unknown component "c"` {
		t.Fatalf("%#v", err)
	}
	if got := err.Error(); got != `root.dag.tasks[a]: unknown component "c"` {
		t.Errorf("Error() = %q", got)
	}
	if got := Errorf("", "empty").Error(); got != "empty" {
		t.Errorf("without a field: %q", got)
	}
}
