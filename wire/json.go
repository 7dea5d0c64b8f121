package wire

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Timestamp is a google.protobuf.Timestamp: written as RFC 3339 in UTC
// with 0, 3, 6 or 9 fractional digits, as protojson writes it.
type Timestamp struct{ time.Time }

// Time makes a Timestamp.
func Time(t time.Time) Timestamp { return Timestamp{t} }

// MarshalJSON writes the time as protojson does.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	u := t.UTC()
	s := u.Format("2006-01-02T15:04:05")
	switch ns := u.Nanosecond(); {
	case ns == 0:
	case ns%1e6 == 0:
		s += fmt.Sprintf(".%03d", ns/1e6)
	case ns%1e3 == 0:
		s += fmt.Sprintf(".%06d", ns/1e3)
	default:
		s += fmt.Sprintf(".%09d", ns)
	}
	return []byte(`"` + s + `Z"`), nil
}

// UnmarshalJSON reads RFC 3339, or the zone-less ISO form (taken as UTC);
// null and "" are the zero time.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return typeError(b, TimestampType)
	}
	if s == "" {
		*t = Timestamp{}
		return nil
	}
	v, err := ParseTime(s)
	if err != nil {
		return typeError(b, TimestampType)
	}
	*t = Timestamp{v}
	return nil
}

// ParseTime reads RFC 3339, and also the zone-less ISO form Python's
// naive datetime.isoformat() writes, taken as UTC.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	v, err := time.Parse(time.RFC3339Nano, s)
	if err == nil {
		return v, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05Z07:00"} {
		if v, lerr := time.ParseInLocation(layout, s, time.UTC); lerr == nil {
			return v, nil
		}
	}
	return time.Time{}, err
}

// Int64 is an int64 written as a JSON string ("42"); it reads a string or
// a number (an integral float such as 1e3 too).
type Int64 int64

// MarshalJSON writes the value as a JSON string.
func (n Int64) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(n), 10) + `"`), nil
}

// UnmarshalJSON reads a JSON string or number.
func (n *Int64) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if ferr != nil || f != float64(int64(f)) {
			return typeError(b, Int64Type)
		}
		v = int64(f)
	}
	*n = Int64(v)
	return nil
}

// Enum is an enum value as received: its name, or its number as decimal
// text. Name resolves it; it is written as its name.
type Enum string

// UnmarshalJSON reads a name or a number.
func (e *Enum) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*e = Enum(s)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return typeError(b, EnumType)
	}
	*e = Enum(strconv.FormatInt(n, 10))
	return nil
}

// MarshalJSON writes the enum as its name.
func (e Enum) MarshalJSON() ([]byte, error) { return json.Marshal(string(e)) }

// Name resolves e against the enum's names, listed by number (names[0] is
// the UNSPECIFIED value; "" entries are unused numbers), case-insensitively.
// It returns "" for an unset or unspecified value.
func (e Enum) Name(names []string) (string, error) {
	s := strings.TrimSpace(string(e))
	if s == "" {
		return "", nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n >= len(names) || names[n] == "" {
			return "", fmt.Errorf("unknown enum number %d (expected one of %s)", n, enumList(names))
		}
		s = names[n]
	}
	for i, v := range names {
		if v != "" && strings.EqualFold(v, s) {
			if i == 0 {
				return "", nil
			}
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown value %q (expected one of %s)", s, enumList(names))
}

func enumList(names []string) string {
	var l []string
	for i, n := range names {
		if i > 0 && n != "" {
			l = append(l, fmt.Sprintf("%s (%d)", n, i))
		}
	}
	return strings.Join(l, ", ")
}

// The types whose decoding errors are *json.UnmarshalTypeError, for
// callers that word them.
var (
	Int64Type     = reflect.TypeFor[Int64]()
	TimestampType = reflect.TypeFor[Timestamp]()
	EnumType      = reflect.TypeFor[Enum]()
)

// typeError is the error of a custom decoder; encoding/json adds the field
// path to it.
func typeError(b []byte, t reflect.Type) error {
	v := string(b)
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	return &json.UnmarshalTypeError{Value: v, Type: t}
}
