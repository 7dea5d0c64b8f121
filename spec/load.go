package spec

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sluicehq/sluice/spec/argo"
	"github.com/sluicehq/sluice/spec/ir"
)

// MaxPackageSize bounds what Load reads from an archive member (and what the
// API accepts as an upload).
const MaxPackageSize = 32 << 20

// MaxYAMLSize bounds a spec given as YAML. Parsing YAML takes some 60 times
// its size in memory (a 31 MiB file held 1.8 GiB and took seconds of CPU),
// so a server cannot take YAML up to MaxPackageSize from every caller at
// once; compiled pipelines are rarely over 100 KB. JSON, read far more
// cheaply, may be up to MaxPackageSize.
const MaxYAMLSize = 4 << 20

// Kind says what a loaded file was.
type Kind string

// Kinds of input files.
const (
	KindIR          Kind = "ir"            // compiled pipeline (or compiled component)
	KindV1Component Kind = "v1-component"  // v1 component YAML, run as a one-step pipeline
	KindArgo        Kind = "argo-workflow" // KFP v1 pipeline: an Argo Workflow, translated to IR
)

// Pipeline is a loaded pipeline: the IR, the optional platform spec and what
// the file was.
type Pipeline struct {
	Spec     *PipelineSpec
	Platform *PlatformSpec
	Kind     Kind
	// Workflow is the KFP v1 workflow a KindArgo pipeline was translated
	// from, as JSON: kept (and stored) so that the v1beta1 API can serve
	// it back as the run's workflow_manifest and the pipeline's template.
	Workflow json.RawMessage
}

// Error is a problem with an input file, naming the part at fault: the
// one type spec and spec/argo return (an alias of ir.Error).
type Error = ir.Error

func errorf(field, format string, args ...any) error {
	return ir.Errorf(field, format, args...)
}

// Load reads a pipeline from bytes: IR YAML (one or two documents), IR JSON,
// a v1 component YAML, a KFP v1 pipeline (the Argo Workflow kfp 1.x
// compiles, translated by spec/argo), or a zip / tar.gz package holding one
// of those. Anything else is refused saying what it looks like. The result
// is validated.
func Load(data []byte) (*Pipeline, error) {
	data, err := unpack(data)
	if err != nil {
		return nil, err
	}
	docs, err := decodeDocuments(data)
	if err != nil {
		return nil, err
	}
	var p *Pipeline
	switch {
	case len(docs) == 0:
		return nil, errorf("", "the file has no content (only comments or whitespace): expected a pipeline spec in YAML or JSON")
	case len(docs) > 2:
		return nil, errorf("", "the file has %d YAML documents: expected a pipeline spec and at most one platform spec", len(docs))
	}
	first, ok := docs[0].(map[string]any)
	if !ok {
		return nil, errorf("", "the file is not a pipeline spec: expected a mapping at the top level, found %s", describe(docs[0]))
	}
	_, isV1 := first["implementation"]
	switch {
	case argo.IsWorkflow(first):
		if len(docs) != 1 {
			return nil, errorf("", "a KFP v1 workflow file must hold one YAML document")
		}
		res, err := argo.Translate(first)
		if err != nil {
			var ae *Error
			if errors.As(err, &ae) {
				return nil, ae
			}
			return nil, err
		}
		// Through JSON, as a stored spec comes back: the values the model
		// holds as any (constants, defaults, platform settings) take
		// decoded JSON's shapes, the ones every reader of a spec expects.
		ps := new(PipelineSpec)
		if err := fromJSONValue(res.Pipeline, ps); err != nil {
			return nil, fmt.Errorf("translated workflow: %w", err)
		}
		wf, err := json.Marshal(first)
		if err != nil {
			return nil, fmt.Errorf("encode the workflow: %w", err)
		}
		p = &Pipeline{Spec: ps, Kind: KindArgo, Workflow: wf}
		if res.Platform != nil {
			plat := new(PlatformSpec)
			if err := fromJSONValue(res.Platform, plat); err != nil {
				return nil, fmt.Errorf("translated workflow: platform spec: %w", err)
			}
			p.Platform = plat
		}
	case !isV1 && !looksLikeIR(first):
		return nil, notAPipeline(first)
	case isV1:
		if len(docs) != 1 {
			return nil, errorf("", "a v1 component file must hold one YAML document")
		}
		ps, err := ConvertV1Component(first)
		if err != nil {
			return nil, err
		}
		p = &Pipeline{Spec: ps, Kind: KindV1Component}
	default:
		ps := new(PipelineSpec)
		if err := fromJSONValue(first, ps); err != nil {
			return nil, err
		}
		p = &Pipeline{Spec: ps, Kind: KindIR}
		if len(docs) == 2 && docs[1] != nil {
			plat := new(PlatformSpec)
			if err := fromJSONValue(docs[1], plat); err != nil {
				return nil, fmt.Errorf("platform spec: %w", err)
			}
			p.Platform = plat
		}
	}
	normalize(p.Spec)
	if err := Validate(p.Spec); err != nil {
		return nil, err
	}
	return p, nil
}

// unpack returns the pipeline file inside a zip or tar.gz package, or data
// itself when it is not an archive.
func unpack(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.HasPrefix(data, []byte("PK\x05\x06")):
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, errorf("", "invalid zip package: %v", err)
		}
		for _, f := range zr.File {
			if f.FileInfo().IsDir() || !isSpecFileName(f.Name) {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				return nil, errorf("", "invalid zip package: %s: %v", f.Name, err)
			}
			b, err := readLimited(rc, f.Name)
			rc.Close()
			if err != nil {
				return nil, errorf("", "invalid zip package: %v", err)
			}
			return b, nil
		}
		return nil, errorf("", "invalid zip package: it holds no .yaml, .yml or .json file")
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		gz, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, errorf("", "invalid tar.gz package: %v", err)
		}
		// Skipping members decompresses them: bound the whole stream so
		// that a small gzip bomb cannot keep Load busy for long.
		tr := tar.NewReader(&boundedReader{r: gz, n: maxTarStream})
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return nil, errorf("", "invalid tar.gz package: it holds no .yaml, .yml or .json file")
			}
			if err != nil {
				return nil, errorf("", "invalid tar.gz package: %v", err)
			}
			if h.Typeflag != tar.TypeReg || !isSpecFileName(h.Name) {
				continue
			}
			b, err := readLimited(tr, h.Name)
			if err != nil {
				return nil, errorf("", "invalid tar.gz package: %v", err)
			}
			return b, nil
		}
	}
	return data, nil
}

// maxTarStream bounds the decompressed size of a tar.gz package.
const maxTarStream = 4 * MaxPackageSize

var errTarTooLarge = fmt.Errorf("it is larger than %d bytes when decompressed", maxTarStream)

// boundedReader reads at most n bytes from r, then fails with errTarTooLarge.
type boundedReader struct {
	r io.Reader
	n int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, errTarTooLarge
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= int64(n)
	return n, err
}

func isSpecFileName(name string) bool {
	base := path.Base(name)
	if strings.HasPrefix(base, ".") || strings.HasPrefix(name, "__MACOSX/") {
		return false
	}
	switch strings.ToLower(path.Ext(base)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func readLimited(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxPackageSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(b) > MaxPackageSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, MaxPackageSize)
	}
	return b, nil
}

// decodeDocuments parses YAML (JSON is YAML) into JSON-compatible values, one
// per document. Comment-only documents are dropped.
func decodeDocuments(data []byte) ([]any, error) {
	if !isText(data) {
		return nil, errorf("", "the file is not a pipeline spec: it is binary, not YAML or JSON text")
	}
	// JSON is read as JSON first: YAML refuses the \uD83D\uDE00 surrogate
	// pairs that Python's json.dump writes for characters outside the BMP.
	if v, ok := decodeJSON(data); ok {
		if err := checkDepth(v, 0); err != nil {
			return nil, errorf("", "invalid JSON: %v", err)
		}
		return []any{v}, nil
	}
	if len(data) > MaxYAMLSize {
		return nil, errorf("", "the spec's YAML is %d bytes; the limit is %d (%d MiB): give a spec this large as JSON", len(data), MaxYAMLSize, MaxYAMLSize>>20)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []any
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errorf("", "invalid YAML: %v", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if len(n.Content) == 0 {
			continue
		}
		v, err := nodeValue(n.Content[0], 0)
		if err != nil {
			return nil, errorf("", "invalid YAML: %v", err)
		}
		docs = append(docs, v)
		if len(docs) > 2 {
			break
		}
	}
	// A trailing "---" with nothing after it yields a nil document.
	for len(docs) > 1 && docs[len(docs)-1] == nil {
		docs = docs[:len(docs)-1]
	}
	if len(docs) == 1 && docs[0] == nil {
		docs = nil
	}
	return docs, nil
}

// decodeJSON decodes data when it is one JSON object; ok is false otherwise
// (the caller then reads it as YAML).
func decodeJSON(data []byte) (v any, ok bool) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, false
	}
	if json.Unmarshal(data, &v) != nil {
		return nil, false
	}
	return v, true
}

// checkDepth applies nodeValue's nesting limit to a decoded JSON value.
func checkDepth(v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("nesting deeper than %d levels", maxDepth)
	}
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if err := checkDepth(e, depth+1); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := checkDepth(e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func isText(data []byte) bool {
	n := min(len(data), 8000)
	return bytes.IndexByte(data[:n], 0) < 0
}

const maxDepth = 200

// nodeValue converts a YAML node to the value encoding/json would produce for
// the equivalent JSON: map[string]any, []any, string, float64, bool, nil.
// Integers are kept exact as json.Number-free float64 when small, else string.
func nodeValue(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nesting deeper than %d levels", maxDepth)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return nodeValue(n.Content[0], depth+1)
	case yaml.AliasNode:
		return nil, fmt.Errorf("line %d: YAML aliases are not supported in pipeline specs", n.Line)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping keys must be scalars", k.Line)
			}
			if k.Value == "<<" && k.Tag == "!!merge" {
				return nil, fmt.Errorf("line %d: YAML merge keys are not supported in pipeline specs", k.Line)
			}
			v, err := nodeValue(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, fmt.Errorf("line %d: %v", n.Line, err)
			}
			return b, nil
		case "!!int", "!!float":
			var f float64
			if err := n.Decode(&f); err != nil {
				return nil, fmt.Errorf("line %d: %v", n.Line, err)
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("line %d: %s: NaN and infinities cannot be represented in a pipeline spec (JSON numbers)", n.Line, n.Value)
			}
			return f, nil
		default:
			return n.Value, nil
		}
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}

// fromJSONValue decodes a JSON-compatible value into a typed struct, turning
// type errors into errors that name the field.
func fromJSONValue(v any, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return errorf("", "cannot encode spec: %v", err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errorf(te.Field, "expected %s, found %s", te.Type, te.Value)
		}
		return errorf("", "invalid spec: %v", err)
	}
	return nil
}

func describe(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case []any:
		return "a list"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("%T", v)
}

// normalize upgrades schemaVersion 2.0.0 forms to their 2.1.0 equivalents.
func normalize(ps *PipelineSpec) {
	fix := func(itf *Interface) {
		if itf == nil {
			return
		}
		for _, p := range itf.Parameters {
			if p == nil || p.ParameterType != "" {
				continue
			}
			switch strings.ToUpper(p.Type) {
			case "INT":
				p.ParameterType = TypeInteger
			case "DOUBLE":
				p.ParameterType = TypeDouble
			case "STRING":
				p.ParameterType = TypeString
			}
		}
	}
	fixTasks := func(d *DAGSpec) {
		if d == nil {
			return
		}
		for _, t := range d.Tasks {
			if t == nil || t.Inputs == nil {
				continue
			}
			for _, in := range t.Inputs.Parameters {
				if in != nil && in.RuntimeValue != nil && in.RuntimeValue.Constant == nil && in.RuntimeValue.ConstantValue != nil {
					in.RuntimeValue.Constant = in.RuntimeValue.ConstantValue.Value()
				}
			}
		}
	}
	comps := []*ComponentSpec{ps.Root}
	for _, c := range ps.Components {
		comps = append(comps, c)
	}
	for _, c := range comps {
		if c == nil {
			continue
		}
		fix(c.InputDefinitions)
		fix(c.OutputDefinitions)
		fixTasks(c.DAG)
	}
	for _, e := range ps.DeploymentSpec.Executors {
		if e != nil && e.Importer != nil {
			u := &e.Importer.ArtifactURI
			if u.Constant == nil && u.ConstantValue != nil {
				u.Constant = u.ConstantValue.Value()
			}
		}
	}
}
