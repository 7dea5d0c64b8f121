package api

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// writeJSON encodes into the response without a copy of the body, and
// still answers a value it cannot encode with a 500 and nothing of the
// value.
func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	writeJSON(rec, http.StatusCreated, map[string]any{"name": "<a&b>", "n": 2})
	if rec.Code != http.StatusCreated || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if got, want := rec.Body.String(), `{"n":2,"name":"<a&b>"}`+"\n"; got != want {
		t.Fatalf("body %q, want %q", got, want)
	}

	rec = httptest.NewRecorder()
	writeJSON(rec, http.StatusOK, map[string]any{"ok": "yes", "bad": math.NaN()})
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("unencodable value: status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code != codeInternal || !strings.Contains(e.Message, "encode response") {
		t.Fatalf("unencodable value: body %q (%v)", rec.Body, err)
	}
}
