package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"

	"github.com/sluicehq/sluice/wire"
)

// verbatim names the fields whose values are user data (or a pipeline
// spec, whose keys are camelCase by definition): their keys are kept as
// they are when request keys are normalized to snake_case.
var verbatim = map[string]bool{
	"pipeline_spec":  true,
	"platform_spec":  true,
	"parameters":     true,
	"tags":           true,
	"plugins_input":  true,
	"plugins_output": true,
}

// readBody reads a request body of at most limit bytes.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, invalidf("read request body: %v", err)
	}
	return b, nil
}

// decodeBody reads a JSON object into out the lenient way: unknown fields
// are ignored, lowerCamelCase keys are read as their snake_case names,
// int64 fields take strings or numbers and enums names or numbers.
func (s *server) decodeBody(r *http.Request, what string, out any) error {
	b, err := readBody(r, s.cfg.MaxUploadBytes)
	if err != nil {
		return err
	}
	return decodeJSON(b, what, out)
}

func decodeJSON(b []byte, what string, out any) error {
	return decodeJSONWith(b, what, out, verbatim)
}

// decodeJSONWith is decodeJSON with its own set of verbatim fields.
func decodeJSONWith(b []byte, what string, out any, keep map[string]bool) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return invalidf("empty request body: expected a JSON %s", what)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return invalidf("malformed JSON body: %v", jsonErrText(err))
	}
	m, ok := v.(map[string]any)
	if !ok {
		return invalidf("the request body must be a JSON object (%s), not %s", what, jsonKind(v))
	}
	if err := checkRequestText(m, "", keep); err != nil {
		return err
	}
	nb, err := json.Marshal(normalizeKeysWith(m, keep))
	if err != nil {
		return fmt.Errorf("re-encode request: %w", err)
	}
	if err := json.Unmarshal(nb, out); err != nil {
		return invalidf("invalid %s: %v", what, jsonErrText(err))
	}
	return nil
}

// jsonErrText makes encoding/json errors read well: type errors name the
// field with the wire (snake_case) name.
func jsonErrText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := te.Type.String()
		switch te.Type {
		case wire.Int64Type:
			want = "an integer (a number or a string)"
		case wire.TimestampType:
			want = "an RFC 3339 timestamp"
		case wire.EnumType:
			want = "an enum name or number"
		}
		got := te.Value
		switch got {
		case "number", "string", "bool", "array", "object":
			got = "a JSON " + got
		}
		if te.Field == "" {
			return fmt.Sprintf("expected %s, got %s", want, got)
		}
		return fmt.Sprintf("field %s: expected %s, got %s", te.Field, want, got)
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "json: ")
	if i := strings.Index(msg, "json: cannot unmarshal"); i > 0 {
		msg = msg[i:]
	}
	return msg
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "an object"
}

// normalizeKeys rewrites lowerCamelCase keys to snake_case, recursively,
// leaving the values of verbatim fields alone.
func normalizeKeys(v any) any { return normalizeKeysWith(v, verbatim) }

func normalizeKeysWith(v any, keep map[string]bool) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			nk := snake(k)
			if keep[nk] {
				out[nk] = val
				continue
			}
			out[nk] = normalizeKeysWith(val, keep)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeKeysWith(e, keep)
		}
		return out
	}
	return v
}

// snake converts lowerCamelCase to snake_case ("pipelineVersionId" →
// "pipeline_version_id"); snake_case passes through.
func snake(s string) string {
	hasUpper := false
	for _, r := range s {
		if unicode.IsUpper(r) {
			hasUpper = true
			break
		}
	}
	if !hasUpper {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 && s[i-1] != '_' {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// writeJSON writes v with the status. HTML characters are not escaped, as
// protojson does not escape them either. The encoder marshals the whole
// value before it writes anything, so a value that cannot be encoded is
// still answered with a 500; a value that can goes to the client from the
// encoder's buffer, not through a copy of it (the GET of a run with 10,000
// tasks is megabytes).
func writeJSON(w http.ResponseWriter, status int, v any) {
	hw := &headerOnWrite{w: w, status: status}
	var err error
	if s, ok := v.(jsonStream); ok {
		err = s.streamJSON(hw)
	} else {
		enc := json.NewEncoder(hw)
		enc.SetEscapeHTML(false)
		err = enc.Encode(v)
	}
	if err != nil && hw.wrote {
		// Half a response is not an answer: the client sees the
		// connection fail.
		panic(http.ErrAbortHandler)
	}
	if err != nil {
		hw.status = http.StatusInternalServerError
		fmt.Fprintf(hw, `{"code":%d,"message":%q}`+"\n", codeInternal, "encode response: "+err.Error())
	}
}

// jsonStream is a response written in pieces rather than encoded whole
// (runWithTasks). What can fail to encode must fail before the first
// write, which writeJSON then answers with a 500.
type jsonStream interface {
	streamJSON(w io.Writer) error
}

// headerOnWrite writes the JSON content type and the status before the
// first byte of the body.
type headerOnWrite struct {
	w      http.ResponseWriter
	status int
	wrote  bool
}

func (h *headerOnWrite) Write(b []byte) (int, error) {
	if !h.wrote {
		h.wrote = true
		h.w.Header().Set("Content-Type", "application/json")
		h.w.WriteHeader(h.status)
	}
	return h.w.Write(b)
}
