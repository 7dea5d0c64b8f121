package api

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// The wire types of the API (KFP JSON and Sluice's own) live in package
// wire; conversions to and from the store's domain types live next to the
// handlers of each resource.

func ts(t time.Time) wire.Timestamp { return wire.Time(t) }

// enumName resolves an enum field against its names.
func enumName(e wire.Enum, field string, names []string) (string, error) {
	n, err := e.Name(names)
	if err != nil {
		return "", invalidf("%s: %v", field, err)
	}
	return n, nil
}

func errStatus(msg string) *wire.Status {
	if msg == "" {
		return nil
	}
	return &wire.Status{Code: codeUnknown, Message: msg}
}

// rawOrNil returns b as a JSON value, or nil when it is empty or null.
func rawOrNil(b []byte) json.RawMessage {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	return json.RawMessage(b)
}

// isEmptyJSON reports whether a raw value is absent, null or {}.
func isEmptyJSON(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return true
	}
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil && len(m) == 0
}
