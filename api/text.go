package api

import (
	"fmt"
	"strings"
)

// Limits on the text a request stores: a name or display name is shown in
// every list and page that holds its resource, so a long one costs every
// reader (a page of 200 runs with 15 MB names is a 3 GB answer).
const (
	// MaxNameBytes bounds a name or display name (KFP's own API allows
	// 128 characters for most).
	MaxNameBytes = 512
	// MaxDescriptionBytes bounds a description.
	MaxDescriptionBytes = 64 << 10
)

// checkRequestText checks the strings of a decoded request body: none may
// hold a NUL character (PostgreSQL cannot store one, in text or JSON, and
// a name with one is not what it shows), and names, display names and
// descriptions keep to their limits (MaxNameBytes, MaxDescriptionBytes),
// names without control characters. Inside verbatim fields (a pipeline
// spec, parameters, tags) only the NUL check applies. The error names the
// field by its path.
func checkRequestText(v any, path string, keep map[string]bool) error {
	return walkText(v, path, keep, false)
}

func walkText(v any, path string, keep map[string]bool, inVerbatim bool) error {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			nk := snake(k)
			field := nk
			if path != "" {
				field = path + "." + nk
			}
			if strings.IndexByte(k, 0) >= 0 {
				return invalidf("%s: a field name holds a NUL character", path)
			}
			if s, ok := val.(string); ok && !inVerbatim {
				if err := checkField(field, nk, s); err != nil {
					return err
				}
			}
			if err := walkText(val, field, keep, inVerbatim || keep[nk]); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if err := walkText(e, fmt.Sprintf("%s[%d]", path, i), keep, inVerbatim); err != nil {
				return err
			}
		}
	case string:
		if strings.IndexByte(x, 0) >= 0 {
			return invalidf("%s: holds a NUL character, which cannot be stored", path)
		}
	}
	return nil
}

// checkField applies the limits of a field named key (its last path
// segment, snake_case) to its value s.
func checkField(field, key, s string) error {
	switch key {
	case "name", "display_name":
		return checkName(field, s)
	case "description":
		return checkDescription(field, s)
	}
	return nil
}

// checkName checks a name or display name.
func checkName(field, s string) error {
	if len(s) > MaxNameBytes {
		return invalidf("%s: %d bytes; the limit is %d", field, len(s), MaxNameBytes)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return invalidf("%s: %q holds a control character", field, s)
		}
	}
	return nil
}

// checkDescription checks a description.
func checkDescription(field, s string) error {
	if len(s) > MaxDescriptionBytes {
		return invalidf("%s: %d bytes; the limit is %d", field, len(s), MaxDescriptionBytes)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return invalidf("%s: holds a NUL character, which cannot be stored", field)
	}
	return nil
}

// checkTexts checks the display name and description of a resource of
// kind, however they came (a body, an upload's query, a spec).
func checkTexts(kind, displayName, description string) error {
	if err := checkName(kind+" display_name", displayName); err != nil {
		return err
	}
	return checkDescription(kind+" description", description)
}
