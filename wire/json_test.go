package wire

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestTimestamp(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC):                          `"2026-08-01T10:00:00Z"`,
		time.Date(2026, 8, 1, 10, 0, 0, 500e6, time.UTC):                      `"2026-08-01T10:00:00.500Z"`,
		time.Date(2026, 8, 1, 10, 0, 0, 1500, time.UTC):                       `"2026-08-01T10:00:00.000001500Z"`,
		time.Date(2026, 8, 1, 12, 0, 0, 2000, time.FixedZone("CEST", 2*3600)): `"2026-08-01T10:00:00.000002Z"`,
	} {
		b, _ := Time(in).MarshalJSON()
		if string(b) != want {
			t.Errorf("Timestamp(%v) = %s, want %s", in, b, want)
		}
	}
	for in, want := range map[string]string{
		`"2026-08-01T10:00:00Z"`:       "2026-08-01T10:00:00Z",
		`"2026-08-01T12:00:00+02:00"`:  "2026-08-01T10:00:00Z",
		`"2026-08-01T10:00:00"`:        "2026-08-01T10:00:00Z",
		`"2026-08-01T10:00:00.250000"`: "2026-08-01T10:00:00.25Z",
		`"2026-08-01 10:00:00"`:        "2026-08-01T10:00:00Z",
		`""`:                           "0001-01-01T00:00:00Z",
	} {
		var ts Timestamp
		if err := ts.UnmarshalJSON([]byte(in)); err != nil || ts.UTC().Format(time.RFC3339Nano) != want {
			t.Errorf("Timestamp(%s) = %v, %v; want %s", in, ts.Time, err, want)
		}
	}
	var s struct {
		At Timestamp `json:"at,omitzero"`
	}
	if b, _ := json.Marshal(s); string(b) != `{}` {
		t.Errorf("zero timestamp written: %s", b)
	}
	var te *json.UnmarshalTypeError
	if err := json.Unmarshal([]byte(`{"at": "yesterday"}`), &s); !errors.As(err, &te) || te.Type != TimestampType || te.Field != "at" {
		t.Errorf("bad timestamp: %v", err)
	}
}

func TestInt64(t *testing.T) {
	for in, want := range map[string]Int64{`"42"`: 42, `42`: 42, `" 7 "`: 7, `1e3`: 1000, `10.0`: 10, `"-3"`: -3} {
		var n Int64
		if err := json.Unmarshal([]byte(in), &n); err != nil || n != want {
			t.Errorf("Int64(%s) = %d, %v; want %d", in, n, err, want)
		}
	}
	for _, in := range []string{`"x"`, `1.5`, `true`, `[]`} {
		var n Int64
		var te *json.UnmarshalTypeError
		if err := json.Unmarshal([]byte(in), &n); err == nil || (in != `true` && in != `[]` && !errors.As(err, &te)) {
			t.Errorf("Int64(%s): %v", in, err)
		}
	}
	if b, _ := json.Marshal(Int64(5)); string(b) != `"5"` {
		t.Errorf("Int64 written as %s", b)
	}
}

func TestEnum(t *testing.T) {
	for in, want := range map[string]string{`"ENABLE"`: "ENABLE", `"disable"`: "DISABLE", `1`: "ENABLE", `"2"`: "DISABLE", `0`: "", `"MODE_UNSPECIFIED"`: "", `null`: ""} {
		var e Enum
		if err := json.Unmarshal([]byte(in), &e); err != nil {
			t.Fatalf("Enum(%s): %v", in, err)
		}
		if got, err := e.Name(ModeNames); err != nil || got != want {
			t.Errorf("Enum(%s).Name = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{`"ON"`: `unknown value "ON" (expected one of ENABLE (1), DISABLE (2))`, `7`: `unknown enum number 7 (expected one of ENABLE (1), DISABLE (2))`} {
		var e Enum
		_ = json.Unmarshal([]byte(in), &e)
		if _, err := e.Name(ModeNames); err == nil || err.Error() != want {
			t.Errorf("Enum(%s): %v, want %s", in, err, want)
		}
	}
}
