package argo

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/spec/ir"
)

// containerBuilder translates one container (or script, or resource)
// template into a component, an executor and Kubernetes settings.
type containerBuilder struct {
	tr       *translator
	t        *template
	field    string
	paths    *pathReplacer
	targets  map[string]string // declared path -> placeholder
	k8s      map[string]any
	needK8s  []string
	unsup    []string
	ownNames map[string]bool
}

// containerComponent adds the component cname and its executor for
// template name.
func (tr *translator) containerComponent(cname, name string) error {
	t := tr.templates[name]
	b := &containerBuilder{tr: tr, t: t, field: "spec.templates[" + name + "]", targets: map[string]string{}, k8s: map[string]any{}}
	label := tr.newName("exec-" + name)
	comp := &ir.ComponentSpec{InputDefinitions: tr.inputDefs(t, nil, nil), OutputDefinitions: outputDefs(t), ExecutorLabel: label}
	tr.out.Components[cname] = comp
	ex, err := b.executor()
	if err != nil {
		return err
	}
	tr.out.DeploymentSpec.Executors[label] = ex
	if len(b.k8s) > 0 {
		tr.platform[label] = b.k8s
	}
	return nil
}

func (b *containerBuilder) executor() (*ir.ExecutorSpec, error) {
	t := b.t
	if t.Resource != nil {
		what := "a Kubernetes resource (ResourceOp)"
		if strings.Contains(t.Resource.Manifest, "PersistentVolumeClaim") {
			what = "a PersistentVolumeClaim (VolumeOp)"
		} else if strings.Contains(t.Resource.Manifest, "VolumeSnapshot") {
			what = "a VolumeSnapshot (VolumeSnapshotOp)"
		}
		return &ir.ExecutorSpec{Container: &ir.ContainerSpec{Image: "argo-resource-template"},
			Unsupported: fmt.Sprintf("step %s does %s %s: Sluice's executors do not run Argo resource templates", t.Name, t.Resource.Action, what)}, nil
	}
	c := t.Container
	var source *string
	if t.Script != nil {
		c, source = &t.Script.container, &t.Script.Source
	}
	if err := b.declarePaths(); err != nil {
		return nil, err
	}
	cs := &ir.ContainerSpec{}
	var err error
	if cs.Image, err = b.text(c.Image, "container.image"); err != nil {
		return nil, err
	}
	if cs.Image == "" {
		return nil, errorf(b.field+".container.image", "missing")
	}
	for i, s := range c.Command {
		v, err := b.text(string(s), fmt.Sprintf("container.command[%d]", i))
		if err != nil {
			return nil, err
		}
		cs.Command = append(cs.Command, v)
	}
	for i, s := range c.Args {
		v, err := b.text(string(s), fmt.Sprintf("container.args[%d]", i))
		if err != nil {
			return nil, err
		}
		cs.Args = append(cs.Args, v)
	}
	if source != nil {
		src, err := b.text(*source, "script.source")
		if err != nil {
			return nil, err
		}
		if len(cs.Command) == 0 {
			return nil, errorf(b.field+".script.command", "missing")
		}
		// Argo writes the source to a file and appends its path.
		cs.Command = append([]string{"sh", "-c", `f=$(mktemp) && printf '%s' "$0" > "$f" && shift && exec "$@" "$f"`, src}, cs.Command...)
	}
	if cs.Env, err = b.env(c); err != nil {
		return nil, err
	}
	if cs.Resources, err = b.resources(c); err != nil {
		return nil, err
	}
	if cs.OutputFiles, err = b.outputFiles(); err != nil {
		return nil, err
	}
	if err := b.volumes(c); err != nil {
		return nil, err
	}
	if err := b.scheduling(); err != nil {
		return nil, err
	}
	if len(t.Sidecars) > 0 {
		b.unsup = append(b.unsup, fmt.Sprintf("it has %d sidecar container(s)", len(t.Sidecars)))
	}
	if len(t.InitContainers) > 0 {
		b.unsup = append(b.unsup, fmt.Sprintf("it has %d init container(s)", len(t.InitContainers)))
	}
	if len(c.EnvFrom) > 0 {
		b.unsup = append(b.unsup, "it sets env from a whole secret or config map (envFrom)")
	}
	ex := &ir.ExecutorSpec{Container: cs}
	if len(b.unsup) > 0 {
		ex.Unsupported = fmt.Sprintf("step %s cannot run on Sluice: %s", t.Name, strings.Join(b.unsup, "; "))
	}
	if len(b.needK8s) > 0 {
		ex.NeedsKubernetes = fmt.Sprintf("step %s needs a Kubernetes cluster (the kubernetes executor): %s", t.Name, strings.Join(b.needK8s, "; "))
	}
	return ex, nil
}

// declarePaths maps every declared input and output file to the
// placeholder of its per-step location.
func (b *containerBuilder) declarePaths() error {
	t := b.t
	for _, a := range t.Inputs.Artifacts {
		if a.Path == "" {
			return errorf(b.field+".inputs.artifacts", "input artifact %q has no path", a.Name)
		}
		b.targets[a.Path] = "{{$.inputs.artifacts['" + a.Name + "'].path}}"
	}
	artAt := map[string]string{}
	for _, a := range t.Outputs.Artifacts {
		if a.Path == "" {
			return errorf(b.field+".outputs.artifacts", "output artifact %q has no path", a.Name)
		}
		if _, dup := artAt[a.Path]; !dup {
			artAt[a.Path] = a.Name
			b.targets[a.Path] = "{{$.outputs.artifacts['" + a.Name + "'].path}}"
		}
	}
	for _, p := range t.Outputs.Parameters {
		if p.ValueFrom == nil || p.ValueFrom.Path == "" {
			continue
		}
		if _, ok := artAt[p.ValueFrom.Path]; !ok {
			b.targets[p.ValueFrom.Path] = "{{$.outputs.parameters['" + p.Name + "'].output_file}}"
		}
	}
	b.paths = newPathReplacer(b.targets)
	return nil
}

// text translates a string of the container: Argo placeholders become IR
// placeholders, declared paths their per-step placeholders.
func (b *containerBuilder) text(s, field string) (string, error) {
	var out strings.Builder
	for _, seg := range segments(s) {
		if seg.name == "" {
			out.WriteString(b.paths.replace(seg.lit))
			continue
		}
		v, err := b.placeholder(seg, field)
		if err != nil {
			return "", err
		}
		out.WriteString(v)
	}
	return out.String(), nil
}

func (b *containerBuilder) placeholder(seg segment, field string) (string, error) {
	name, t := seg.name, b.t
	if g, ok := globals[name]; ok {
		return g, nil
	}
	bad := func(what, n string) (string, error) {
		return "", errorf(b.field+"."+field, "%s: the template has no %s %q", seg.text, what, n)
	}
	parts := strings.Split(name, ".")
	switch {
	case len(parts) == 3 && parts[0] == "inputs" && parts[1] == "parameters":
		for _, p := range t.Inputs.Parameters {
			if p.Name == parts[2] {
				return "{{$.inputs.parameters['" + p.Name + "']}}", nil
			}
		}
		return bad("input parameter", parts[2])
	case len(parts) == 4 && parts[0] == "inputs" && parts[1] == "artifacts" && parts[3] == "path":
		for _, a := range t.Inputs.Artifacts {
			if a.Name == parts[2] {
				return "{{$.inputs.artifacts['" + a.Name + "'].path}}", nil
			}
		}
		return bad("input artifact", parts[2])
	case len(parts) == 4 && parts[0] == "outputs" && parts[3] == "path" && (parts[1] == "parameters" || parts[1] == "artifacts"):
		if parts[1] == "artifacts" {
			for _, a := range t.Outputs.Artifacts {
				if a.Name == parts[2] {
					return b.targets[a.Path], nil
				}
			}
			return bad("output artifact", parts[2])
		}
		for _, p := range t.Outputs.Parameters {
			if p.Name == parts[2] && p.ValueFrom != nil && p.ValueFrom.Path != "" {
				return b.targets[p.ValueFrom.Path], nil
			}
		}
		return bad("output parameter (with a path)", parts[2])
	case len(parts) == 3 && parts[0] == "workflow" && parts[1] == "parameters":
		if b.tr.isParam[parts[2]] {
			return "{{$.inputs.parameters['" + wfParamInput(parts[2]) + "']}}", nil
		}
	}
	return seg.text, nil // left as written, as Argo does
}

// env translates the container's environment.
func (b *containerBuilder) env(c *container) ([]ir.EnvVar, error) {
	var out []ir.EnvVar
	labels := b.t.Metadata.Labels
	var fieldEnv []any
	var secretEnv, cmEnv []any
	for i, e := range c.Env {
		f := fmt.Sprintf("container.env[%d]", i)
		if e.Name == "" {
			return nil, errorf(b.field+"."+f+".name", "missing")
		}
		switch {
		case e.ValueFrom == nil:
			v := ""
			if e.Value != nil {
				v = string(*e.Value)
			}
			tv, err := b.text(v, f+".value")
			if err != nil {
				return nil, err
			}
			out = append(out, ir.EnvVar{Name: e.Name, Value: tv})
		case e.ValueFrom.FieldRef != nil:
			fp := e.ValueFrom.FieldRef.FieldPath
			if v, ok := emulatedField(fp, labels); ok {
				out = append(out, ir.EnvVar{Name: e.Name, Value: v})
			}
			if strings.HasPrefix(fp, "metadata.name") || strings.HasPrefix(fp, "metadata.uid") || strings.HasPrefix(fp, "metadata.namespace") ||
				strings.HasPrefix(fp, "spec.") || strings.HasPrefix(fp, "status.") {
				fieldEnv = append(fieldEnv, map[string]any{"name": e.Name, "fieldPath": fp})
			}
		case e.ValueFrom.SecretKeyRef != nil:
			r := e.ValueFrom.SecretKeyRef
			secretEnv = append(secretEnv, keyEnv("secretName", r, "secretKey", e.Name))
			b.needK8s = append(b.needK8s, fmt.Sprintf("env %s comes from secret %s", e.Name, r.Name))
		case e.ValueFrom.ConfigMapKeyRef != nil:
			r := e.ValueFrom.ConfigMapKeyRef
			cmEnv = append(cmEnv, keyEnv("configMapName", r, "configMapKey", e.Name))
			b.needK8s = append(b.needK8s, fmt.Sprintf("env %s comes from config map %s", e.Name, r.Name))
		default:
			b.unsup = append(b.unsup, fmt.Sprintf("env %s comes from a source Sluice does not read", e.Name))
		}
	}
	if len(fieldEnv) > 0 {
		b.k8s["fieldPathAsEnv"] = fieldEnv
	}
	if len(secretEnv) > 0 {
		b.k8s["secretAsEnv"] = secretEnv
	}
	if len(cmEnv) > 0 {
		b.k8s["configMapAsEnv"] = cmEnv
	}
	return out, nil
}

func keyEnv(nameKey string, r *keyRef, keyKey, env string) map[string]any {
	m := map[string]any{nameKey: r.Name, "keyToEnv": []any{map[string]any{keyKey: r.Key, "envVar": env}}}
	if r.Optional != nil {
		m["optional"] = *r.Optional
	}
	return m
}

// emulatedField is the value a step gets for a downward-API field the KFP
// v1 compiler uses (add_pod_env): the pod's identity and labels.
func emulatedField(fp string, labels map[string]anyString) (string, bool) {
	switch fp {
	case "metadata.name", "metadata.uid":
		return "{{$.pipeline_task_uuid}}", true
	case "metadata.namespace":
		return "default", true
	case "metadata.labels['workflows.argoproj.io/workflow']":
		return "{{$.pipeline_job_name}}", true
	case "metadata.labels['pipeline/runid']":
		return "{{$.pipeline_job_uuid}}", true
	}
	if l, ok := strings.CutPrefix(fp, "metadata.labels['"); ok && strings.HasSuffix(l, "']") {
		return string(labels[strings.TrimSuffix(l, "']")]), true
	}
	return "", false
}

// resources reads requests and limits, including those a podSpecPatch sets
// from parameters (set_cpu_limit with a pipeline parameter).
func (b *containerBuilder) resources(c *container) (*ir.ResourceSpec, error) {
	lim, req := map[string]string{}, map[string]string{}
	for k, v := range c.Resources.Limits {
		lim[k] = string(v)
	}
	for k, v := range c.Resources.Requests {
		req[k] = string(v)
	}
	if p := b.t.PodSpecPatch; p != "" {
		var patch struct {
			Containers []struct {
				Name      string `json:"name"`
				Resources struct {
					Limits   map[string]anyString `json:"limits"`
					Requests map[string]anyString `json:"requests"`
				} `json:"resources"`
			} `json:"containers"`
		}
		if err := json.Unmarshal([]byte(p), &patch); err != nil {
			return nil, errorf(b.field+".podSpecPatch", "not a JSON pod spec: %v", err)
		}
		for _, pc := range patch.Containers {
			if pc.Name != "main" && pc.Name != "" {
				continue
			}
			for k, v := range pc.Resources.Limits {
				lim[k] = string(v)
			}
			for k, v := range pc.Resources.Requests {
				req[k] = string(v)
			}
		}
	}
	if len(lim) == 0 && len(req) == 0 {
		return nil, nil
	}
	r := &ir.ResourceSpec{}
	var err error
	tx := func(s string) string {
		if err != nil {
			return ""
		}
		var v string
		v, err = b.text(s, "container.resources")
		return v
	}
	r.ResourceCPULimit, r.ResourceMemoryLimit = tx(lim["cpu"]), tx(lim["memory"])
	r.ResourceCPURequest, r.ResourceMemoryRequest = tx(req["cpu"]), tx(req["memory"])
	for _, k := range slices.Sorted(maps.Keys(lim)) {
		if k != "cpu" && k != "memory" && k != "ephemeral-storage" {
			r.Accelerator = &ir.Accelerator{ResourceType: k, ResourceCount: tx(lim[k])}
			break
		}
	}
	return r, err
}

// outputFiles lists the files the step must write and the parameters read
// from them.
func (b *containerBuilder) outputFiles() ([]ir.OutputFile, error) {
	t := b.t
	var out []ir.OutputFile
	idx := map[string]int{}
	for _, a := range t.Outputs.Artifacts {
		f := ir.OutputFile{Path: a.Path, Artifact: a.Name, Optional: a.Optional}
		switch a.Name {
		case "mlpipeline-ui-metadata":
			f.Optional = true // the KFP API server marks them optional
		case "mlpipeline-metrics":
			f.Optional, f.Format = true, ir.FormatKFPv1Metrics
		}
		if _, dup := idx[a.Path]; !dup {
			idx[a.Path] = len(out)
		}
		out = append(out, f)
	}
	for i, p := range t.Outputs.Parameters {
		pf := fmt.Sprintf("%s.outputs.parameters[%d]", b.field, i)
		vf := p.ValueFrom
		switch {
		case vf != nil && vf.Path != "":
		case p.Value != nil:
			b.unsup = append(b.unsup, fmt.Sprintf("output parameter %s has a fixed value (volume-based data passing)", p.Name))
			continue
		case vf != nil && vf.JSONPath != "":
			continue // resource templates
		default:
			return nil, errorf(pf+".valueFrom", "output parameter %q: only valueFrom.path is supported in container templates", p.Name)
		}
		var def *string
		if vf.Default != nil {
			d := string(*vf.Default)
			def = &d
		}
		if j, ok := idx[vf.Path]; ok && out[j].Parameter == "" && def == nil {
			out[j].Parameter = p.Name
			continue
		}
		f := ir.OutputFile{Path: vf.Path, Parameter: p.Name, Default: def}
		if j, ok := idx[vf.Path]; ok {
			f.Artifact = out[j].Artifact
		}
		out = append(out, f)
	}
	return out, nil
}

// volumes carries volume mounts to the Kubernetes executor.
func (b *containerBuilder) volumes(c *container) error {
	vols := map[string]volume{}
	for _, v := range b.tr.wf.Spec.Volumes {
		vols[v.Name] = v
	}
	for _, v := range b.t.Volumes {
		vols[v.Name] = v
	}
	add := func(key string, v any) {
		l, _ := b.k8s[key].([]any)
		b.k8s[key] = append(l, v)
	}
	for i, m := range c.VolumeMounts {
		f := fmt.Sprintf("%s.container.volumeMounts[%d]", b.field, i)
		v, ok := vols[m.Name]
		if !ok {
			return errorf(f+".name", "no volume named %q", m.Name)
		}
		hasPH := func(s string) bool { return len(segments(s)) > 1 || len(segments(s)) == 1 && segments(s)[0].name != "" }
		switch {
		case v.EmptyDir != nil:
			e := map[string]any{"volumeName": m.Name, "mountPath": m.MountPath}
			if v.EmptyDir.Medium != "" {
				e["medium"] = v.EmptyDir.Medium
			}
			if v.EmptyDir.SizeLimit != nil {
				e["sizeLimit"] = string(*v.EmptyDir.SizeLimit)
			}
			add("emptyDirMounts", e)
		case v.PersistentVolumeClaim != nil:
			claim := v.PersistentVolumeClaim.ClaimName
			if hasPH(claim) || hasPH(m.SubPath) {
				b.unsup = append(b.unsup, fmt.Sprintf("volume %s mounts a PersistentVolumeClaim named at run time (%s)", m.Name, claim))
				continue
			}
			e := map[string]any{"constant": claim, "mountPath": m.MountPath}
			if m.SubPath != "" {
				e["subPath"] = m.SubPath
			}
			add("pvcMount", e)
			b.needK8s = append(b.needK8s, "it mounts PersistentVolumeClaim "+claim)
		case v.Secret != nil:
			e := map[string]any{"secretName": v.Secret.SecretName, "mountPath": m.MountPath}
			if v.Secret.Optional != nil {
				e["optional"] = *v.Secret.Optional
			}
			add("secretAsVolume", e)
			b.needK8s = append(b.needK8s, "it mounts secret "+v.Secret.SecretName)
		case v.ConfigMap != nil:
			e := map[string]any{"configMapName": v.ConfigMap.Name, "mountPath": m.MountPath}
			if v.ConfigMap.Optional != nil {
				e["optional"] = *v.ConfigMap.Optional
			}
			add("configMapAsVolume", e)
			b.needK8s = append(b.needK8s, "it mounts config map "+v.ConfigMap.Name)
		default:
			b.unsup = append(b.unsup, fmt.Sprintf("volume %s is of a kind Sluice does not mount (only emptyDir, persistentVolumeClaim, secret and configMap)", m.Name))
		}
	}
	return nil
}

// scheduling carries node selectors, tolerations, affinity, pull secrets,
// pod metadata and the step's deadline to the Kubernetes executor (the
// local executor records and warns about them; it applies the deadline).
func (b *containerBuilder) scheduling() error {
	t, spec := b.t, &b.tr.wf.Spec
	sel := map[string]string{}
	for k, v := range spec.NodeSelector {
		sel[k] = string(v)
	}
	for k, v := range t.NodeSelector {
		sel[k] = string(v)
	}
	if len(sel) > 0 {
		b.k8s["nodeSelector"] = map[string]any{"labels": sel}
	}
	tols := t.Tolerations
	if len(tols) == 0 {
		tols = spec.Tolerations
	}
	var tl []any
	for _, x := range tols {
		m, ok := x.(map[string]any)
		if !ok {
			return errorf(b.field+".tolerations", "expected a list of mappings")
		}
		e := map[string]any{}
		for _, k := range []string{"key", "operator", "value", "effect", "tolerationSeconds"} {
			if v, ok := m[k]; ok {
				e[k] = v
			}
		}
		tl = append(tl, e)
	}
	if len(tl) > 0 {
		b.k8s["tolerations"] = tl
	}
	aff := t.Affinity
	if aff == nil {
		aff = spec.Affinity
	}
	if na, ok := aff["nodeAffinity"]; ok {
		b.k8s["nodeAffinity"] = []any{map[string]any{"nodeAffinityJson": map[string]any{"runtimeValue": map[string]any{"constant": na}}}}
	}
	var ips []any
	for _, s := range spec.ImagePullSecrets {
		ips = append(ips, map[string]any{"secretName": s.Name})
	}
	if len(ips) > 0 {
		b.k8s["imagePullSecret"] = ips
	}
	labels, annotations := map[string]string{}, map[string]string{}
	for k, v := range t.Metadata.Labels {
		if !strings.HasPrefix(k, "pipelines.kubeflow.org/") && !strings.Contains(string(v), "{{") {
			labels[k] = string(v)
		}
	}
	for k, v := range t.Metadata.Annotations {
		if !strings.HasPrefix(k, "pipelines.kubeflow.org/") && !strings.Contains(string(v), "{{") {
			annotations[k] = string(v)
		}
	}
	if len(labels) > 0 || len(annotations) > 0 {
		pm := map[string]any{}
		if len(labels) > 0 {
			pm["labels"] = labels
		}
		if len(annotations) > 0 {
			pm["annotations"] = annotations
		}
		b.k8s["podMetadata"] = pm
	}
	if d := t.ActiveDeadlineSeconds; d != nil {
		n, err := d.int(b.field + ".activeDeadlineSeconds")
		if err != nil {
			return err
		}
		if n > 0 {
			b.k8s["activeDeadlineSeconds"] = n
		}
	}
	return nil
}

// stepOptions sets a container task's caching and retry policy.
func stepOptions(task *ir.TaskSpec, t *template, field string) error {
	cache := string(t.Metadata.Labels["pipelines.kubeflow.org/enable_caching"]) != "false"
	switch string(t.Metadata.Annotations["pipelines.kubeflow.org/max_cache_staleness"]) {
	case "P0D", "PT0S", "P0DT0S", "PT0M", "PT0H":
		cache = false
	}
	task.CachingOptions = &ir.CachingOptions{EnableCache: cache}
	rs := t.RetryStrategy
	if rs == nil {
		return nil
	}
	rp := &ir.RetryPolicy{}
	if rs.Limit != nil {
		n, err := rs.Limit.int(field + ".retryStrategy.limit")
		if err != nil {
			return err
		}
		rp.MaxRetryCount = int(min(n, 1000))
	} else {
		rp.MaxRetryCount = 1000 // Argo: retry until it succeeds; bounded here
	}
	if bo := rs.Backoff; bo != nil {
		var err error
		if rp.BackoffDuration, err = duration(field+".retryStrategy.backoff.duration", bo.Duration); err != nil {
			return err
		}
		if rp.BackoffMaxDuration, err = duration(field+".retryStrategy.backoff.maxDuration", bo.MaxDuration); err != nil {
			return err
		}
		if bo.Factor != nil {
			f, err := strconv.ParseFloat(string(*bo.Factor), 64)
			if err != nil || f <= 0 {
				return errorf(field+".retryStrategy.backoff.factor", "expected a positive number, found %q", string(*bo.Factor))
			}
			rp.BackoffFactor = f
		}
	}
	task.RetryPolicy = rp
	return nil
}

// duration reads an Argo duration: seconds as a number, or a Go duration.
func duration(field string, v *intOrString) (string, error) {
	if v == nil || *v == "" {
		return "", nil
	}
	s := strings.TrimSpace(string(*v))
	if n, err := strconv.ParseFloat(s, 64); err == nil && n >= 0 {
		return (time.Duration(n * float64(time.Second))).String(), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return "", errorf(field, "expected a duration (\"10s\", \"2m\" or seconds), found %q", s)
	}
	return d.String(), nil
}
