package artifact

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is wrapped by errors for keys that hold no object (or tree).
var ErrNotFound = errors.New("artifact not found")

// ErrInvalidKey is wrapped by errors for keys that are malformed or would
// escape the store root.
var ErrInvalidKey = errors.New("invalid artifact key")

// checkKey validates a key; allowRoot accepts "" (the store root).
func checkKey(key string, allowRoot bool) error {
	if key == "" {
		if allowRoot {
			return nil
		}
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	if strings.HasPrefix(key, "/") {
		return fmt.Errorf("%w %q: absolute", ErrInvalidKey, key)
	}
	if strings.ContainsAny(key, "\\\x00") {
		return fmt.Errorf("%w %q: backslash or NUL", ErrInvalidKey, key)
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%w %q: empty path segment", ErrInvalidKey, key)
		case ".", "..":
			return fmt.Errorf("%w %q: %q segment", ErrInvalidKey, key, seg)
		}
	}
	return nil
}

// joinKey joins a key prefix and a relative slash path.
func joinKey(prefix, rel string) string {
	if prefix == "" {
		return rel
	}
	if rel == "" {
		return prefix
	}
	return prefix + "/" + rel
}
