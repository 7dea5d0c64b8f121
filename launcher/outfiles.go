package launcher

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sluicehq/sluice/internal/bytesize"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/spec"
)

// MaxParameterFile bounds an output parameter read from a file (Argo keeps
// parameters in the workflow object; big data belongs in artifacts).
const MaxParameterFile = 256 << 10

// MaxExecutorOutput bounds the ExecutorOutput file a step writes (its
// output parameter values and artifact metadata, which KFP keeps in its
// metadata store; big data belongs in artifacts).
const MaxExecutorOutput = 16 << 20

// MaxOutputsRecord bounds the outputs record a remote launcher leaves for
// the server (the step's outputs, at most MaxExecutorOutput of values and
// MaxParameterFile per parameter file, and what it used).
const MaxOutputsRecord = 32 << 20

// stepFiles reads the files a step wrote, which it controls entirely:
// regular files only (a FIFO would block the read forever, a device
// never end), at most a limit each, and never through a link out of the
// run's directory (root; nil reads the file system as it is), so that a
// step run as --step-user cannot have the server read a file it may not.
type stepFiles struct{ root *rundir.Root }

// read reads path, at most limit bytes; an error wrapping fs.ErrNotExist
// when the step did not write it.
func (f stepFiles) read(path string, limit int64) ([]byte, error) {
	var file *os.File
	var err error
	if f.root != nil {
		file, err = f.root.OpenRegular(path)
	} else {
		file, err = rundir.OpenRegular(path)
	}
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return readBounded(file, path, limit)
}

// readBounded reads r, named name in the error, at most limit bytes.
func readBounded(r io.Reader, name string, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than the limit of %s (pass big data as an artifact)", name, bytesize.Text(limit))
	}
	return b, nil
}

// applyOutputFiles checks the output files a step declared
// (spec.OutputFile, KFP v1's outputs) after it succeeded: a missing one is
// an error unless optional; parameters are read from their file with one
// trailing newline removed; KFP v1 metrics land in their artifact's
// metadata.
func applyOutputFiles(files []spec.OutputFile, in *spec.ExecutorInput, out *plan.Outputs, localPath func(string) string, sf stepFiles) error {
	for _, f := range files {
		name := f.Parameter
		var path string
		var art *spec.RuntimeArtifact
		switch {
		case f.Artifact != "":
			name = f.Artifact
			list := in.Outputs.Artifacts[f.Artifact]
			if list == nil || len(list.Artifacts) == 0 || list.Artifacts[0] == nil {
				return fmt.Errorf("output artifact %q is not declared", f.Artifact)
			}
			path = spec.ArtifactLocalPath(list.Artifacts[0], "", localPath)
			if arts := out.Artifacts[f.Artifact]; len(arts) > 0 {
				art = arts[0]
			}
		case f.Parameter != "":
			op := in.Outputs.Parameters[f.Parameter]
			if op == nil {
				return fmt.Errorf("output parameter %q is not declared", f.Parameter)
			}
			path = op.OutputFile
		default:
			continue
		}
		info, err := os.Stat(path)
		if err != nil {
			switch {
			case f.Parameter != "" && f.Default != nil:
				out.Parameters[f.Parameter] = *f.Default
				continue
			case f.Optional:
				continue
			}
			return fmt.Errorf("output %q: the step did not write %s", name, f.Path)
		}
		if f.Parameter != "" {
			if info.IsDir() {
				return fmt.Errorf("output parameter %q: %s is a directory, not a file", f.Parameter, f.Path)
			}
			b, err := sf.read(path, MaxParameterFile)
			if err != nil {
				return fmt.Errorf("output parameter %q: %v", f.Parameter, err)
			}
			out.Parameters[f.Parameter] = strings.TrimSuffix(string(b), "\n")
		}
		if f.Format == spec.FormatKFPv1Metrics && art != nil && !info.IsDir() {
			if b, err := sf.read(path, MaxParameterFile); err == nil {
				for k, v := range v1Metrics(b) {
					if art.Metadata == nil {
						art.Metadata = map[string]any{}
					}
					art.Metadata[k] = v
				}
			}
		}
	}
	return nil
}

// v1Metrics reads a KFP v1 mlpipeline-metrics file:
// {"metrics": [{"name": "accuracy", "numberValue": 0.9, "format": "RAW"}]}
// (numberValue or number_value). What it cannot read is left out, as KFP
// does. The formats given (RAW, PERCENTAGE) are kept under "_formats"
// ({"accuracy": "PERCENTAGE"}), a key viewers of the numbers skip.
func v1Metrics(b []byte) map[string]any {
	var doc struct {
		Metrics []struct {
			Name        string   `json:"name"`
			NumberValue *float64 `json:"numberValue"`
			NumberSnake *float64 `json:"number_value"`
			Format      string   `json:"format"`
		} `json:"metrics"`
	}
	if json.Unmarshal(b, &doc) != nil {
		return nil
	}
	out := map[string]any{}
	formats := map[string]any{}
	for _, m := range doc.Metrics {
		v := m.NumberValue
		if v == nil {
			v = m.NumberSnake
		}
		if m.Name == "" || strings.HasPrefix(m.Name, "_") || v == nil || len(out) >= 50 {
			continue
		}
		out[m.Name] = *v
		if f := strings.ToUpper(strings.TrimSpace(m.Format)); f == "RAW" || f == "PERCENTAGE" {
			formats[m.Name] = f
		}
	}
	if len(formats) > 0 {
		out["_formats"] = formats
	}
	return out
}
