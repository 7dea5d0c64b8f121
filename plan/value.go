package plan

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/spec"
)

// Coerce converts a resolved parameter value to its declared type, the way
// the KFP backend validates inputs: a STRING input takes any value as text,
// numbers must be numbers (integers stay integers), LIST and STRUCT accept
// JSON text. Values arrive as decoded JSON (float64 numbers).
func Coerce(v any, typ string) (any, error) {
	switch typ {
	case spec.TypeString:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return spec.FormatParam(v), nil
	case spec.TypeInteger:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int:
			return int64(x), nil
		case float64:
			if x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) || math.Abs(x) > 1<<53 {
				return nil, fmt.Errorf("expected an integer, got %v", x)
			}
			return int64(x), nil
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("expected an integer, got %q", x)
			}
			return n, nil
		}
	case spec.TypeDouble:
		switch x := v.(type) {
		case float64:
			return x, nil
		case int64:
			return float64(x), nil
		case int:
			return float64(x), nil
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, fmt.Errorf("expected a number, got %q", x)
			}
			return f, nil
		}
	case spec.TypeBoolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			b, err := strconv.ParseBool(strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("expected a boolean, got %q", x)
			}
			return b, nil
		}
	case spec.TypeList:
		switch x := v.(type) {
		case []any:
			return x, nil
		case string:
			var l []any
			if err := json.Unmarshal([]byte(x), &l); err != nil {
				return nil, fmt.Errorf("expected a list (JSON array), got %q", abbrev(x))
			}
			return l, nil
		}
	case spec.TypeStruct, spec.TypeTaskFinalStatus, spec.TypeTaskConfig:
		switch x := v.(type) {
		case map[string]any:
			return x, nil
		case string:
			var m map[string]any
			if err := json.Unmarshal([]byte(x), &m); err != nil {
				return nil, fmt.Errorf("expected a struct (JSON object), got %q", abbrev(x))
			}
			return m, nil
		}
	default:
		return v, nil
	}
	return nil, fmt.Errorf("expected %s, got %s", typeWord(typ), kindOf(v))
}

// ParseParam parses a command-line parameter value by its declared type:
// strings are taken as they are, everything else as JSON / a literal.
func ParseParam(s, typ string) (any, error) {
	switch typ {
	case spec.TypeString:
		return s, nil
	case spec.TypeList, spec.TypeStruct:
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fmt.Errorf("expected %s as JSON, got %q", typeWord(typ), abbrev(s))
		}
		return Coerce(v, typ)
	}
	return Coerce(s, typ)
}

func typeWord(typ string) string {
	switch typ {
	case spec.TypeInteger:
		return "an integer"
	case spec.TypeDouble:
		return "a number"
	case spec.TypeBoolean:
		return "a boolean"
	case spec.TypeList:
		return "a list"
	case spec.TypeStruct, spec.TypeTaskFinalStatus, spec.TypeTaskConfig:
		return "a struct"
	case spec.TypeString:
		return "a string"
	}
	return typ
}

func kindOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", abbrev(x))
	case bool:
		return fmt.Sprintf("boolean %v", x)
	case float64, int64, int:
		return fmt.Sprintf("number %v", x)
	case []any:
		return "a list"
	case map[string]any:
		return "a struct"
	}
	return fmt.Sprintf("%T", v)
}

func abbrev(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
