package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/store"
)

// GET /apis/sluice/v1/ids finds the ids of a kind by their first
// characters, for clients resolving short ids; bad input is a 400 naming
// the field.
func TestIDsWithPrefix(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	for i := range 12 {
		r := &store.Run{ID: fmt.Sprintf("abcdef01-%04d-4000-8000-000000000000", i), DisplayName: "r", Spec: []byte(`{}`)}
		if err := ts.st.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	get := func(kind, prefix string) response {
		return ts.do(t, request{Method: "GET", Path: "/apis/sluice/v1/ids?kind=" + url.QueryEscape(kind) + "&prefix=" + url.QueryEscape(prefix)})
	}
	one := get("run", "ABCDEF01-0007").json(t)
	if ids, _ := one["ids"].([]any); len(ids) != 1 || ids[0] != "abcdef01-0007-4000-8000-000000000000" || one["more"] != nil {
		t.Errorf("one match: %v", one)
	}
	many := get("run", "abcdef01").json(t)
	if ids, _ := many["ids"].([]any); len(ids) != maxPrefixMatches || many["more"] != true {
		t.Errorf("12 matches: %v", many)
	}
	if none := get("pipeline", "abcdef01"); none.Status != http.StatusOK || !strings.Contains(string(none.Body), `"ids":[]`) {
		t.Errorf("no match: %d %s", none.Status, none.Body)
	}
	for _, bad := range []struct{ kind, prefix, word string }{
		{"", "abcdef01", "kind"},
		{"runs", "abcdef01", "kind"},
		{"run", "", "prefix"},
		{"run", "abc", "prefix"},
		{"run", "abcdef0%", "prefix"},
		{"run", "abcdef01' --", "prefix"},
	} {
		r := get(bad.kind, bad.prefix)
		if msg, _ := r.json(t)["message"].(string); r.Status != http.StatusBadRequest || !strings.HasPrefix(msg, bad.word) {
			t.Errorf("kind %q prefix %q: %d %s, want 400 naming %s", bad.kind, bad.prefix, r.Status, r.Body, bad.word)
		}
	}
}
