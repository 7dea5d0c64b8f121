package engine

import (
	"context"
	"fmt"
	"io"
	"maps"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/spec"
)

// materializeRaw writes the raw input artifacts of a step (artifacts made
// from text, KFP v1's raw arguments) to files under the task's private
// directory — in the run's bucket when it has one — and returns the inputs
// with those artifacts pointing at them. Other inputs are shared, not
// copied.
func (r *run) materializeRaw(ctx context.Context, ls *launcher.Step) (*plan.Inputs, error) {
	in := ls.Inputs
	var out *plan.Inputs
	for name, list := range in.Artifacts {
		for i, a := range list {
			text, ok := a.Metadata[plan.RawMetadata].(string)
			if !ok {
				continue
			}
			if out == nil {
				cp := *in
				cp.Artifacts = maps.Clone(in.Artifacts)
				out = &cp
			}
			file := name // rundir maps it to a safe file name
			if len(list) > 1 {
				file = fmt.Sprintf("%s-%d", file, i)
			}
			uri, err := r.writeRaw(ctx, ls, file, text)
			if err != nil {
				return nil, fmt.Errorf("input artifact %q: %w", name, err)
			}
			md := maps.Clone(a.Metadata)
			delete(md, plan.RawMetadata)
			na := *a
			na.URI, na.Metadata = uri, md
			l := append([]*spec.RuntimeArtifact(nil), out.Artifacts[name]...)
			l[i] = &na
			out.Artifacts[name] = l
		}
	}
	if out == nil {
		return in, nil
	}
	return out, nil
}

// writeRaw stores text as the raw input file of the task (rundir's
// RawInput: on this machine, or in the run's bucket) and returns its URI.
func (r *run) writeRaw(ctx context.Context, ls *launcher.Step, file, text string) (string, error) {
	if ls.URIs.IsZero() {
		p := ls.Paths.RawInput(file)
		root, err := ls.Paths.Open()
		if err != nil {
			return "", err
		}
		defer root.Close()
		return p, root.WriteFile(p, []byte(text))
	}
	uri := ls.URIs.RawInput(file)
	key, ok := artifact.KeyOf(r.store, uri)
	if !ok {
		return "", fmt.Errorf("%s is not in the run's store", uri)
	}
	w, err := r.store.Create(ctx, key)
	if err != nil {
		return "", err
	}
	if _, err := io.WriteString(w, text); err != nil {
		w.Close()
		return "", err
	}
	return uri, w.Close()
}
