package client

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/sluicehq/sluice/wire"
)

// The kinds of record whose ids have prefixes (GET /apis/sluice/v1/ids).
const (
	KindRun              = "run"
	KindPipeline         = "pipeline"
	KindExperiment       = "experiment"
	KindRecurringRun     = "recurring_run"
	KindTuningExperiment = "tuning_experiment"
)

// MinIDPrefix is the shortest id prefix ResolveID looks up.
const MinIDPrefix = 8

// IDsWithPrefix returns the ids of kind that start with prefix (at most
// ten; More says there are others).
func (c *Client) IDsWithPrefix(ctx context.Context, kind, prefix string) (*wire.IDs, error) {
	req, err := c.sluiceRequest(ctx, "/ids", url.Values{"kind": {kind}, "prefix": {prefix}})
	if err != nil {
		return nil, err
	}
	var out wire.IDs
	if err := c.send(req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AmbiguousError is a short id that starts more than one id.
type AmbiguousError struct {
	Kind, Prefix string
	IDs          []string
	More         bool
}

func (e *AmbiguousError) Error() string {
	more := ""
	if e.More {
		more = ", …"
	}
	return fmt.Sprintf("%s id %q is ambiguous: it starts %s%s (give more characters)",
		strings.ReplaceAll(e.Kind, "_", " "), e.Prefix, strings.Join(e.IDs, ", "), more)
}

// ResolveID turns a short id (a prefix of MinIDPrefix or more hex digits
// and hyphens, shorter than a whole UUID) into the one id of kind it
// starts. Anything else, and a prefix that starts no id, comes back as it
// is, so that the caller's lookup says what is missing; a prefix that
// starts several ids is an *AmbiguousError listing them. A server without
// the route (404) leaves the id as it is.
func (c *Client) ResolveID(ctx context.Context, kind, id string) (string, error) {
	if !looksLikeIDPrefix(id) {
		return id, nil
	}
	m, err := c.IDsWithPrefix(ctx, kind, id)
	if IsNotFound(err) {
		return id, nil
	}
	if err != nil {
		return "", fmt.Errorf("resolve the %s id %q: %w", strings.ReplaceAll(kind, "_", " "), id, err)
	}
	switch {
	case len(m.IDs) == 1 && !m.More:
		return m.IDs[0], nil
	case len(m.IDs) > 1:
		return "", &AmbiguousError{Kind: kind, Prefix: id, IDs: m.IDs, More: m.More}
	}
	return id, nil
}

func looksLikeIDPrefix(s string) bool {
	if len(s) < MinIDPrefix || len(s) >= 36 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == '-') {
			return false
		}
	}
	return true
}
