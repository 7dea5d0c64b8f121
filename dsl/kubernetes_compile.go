package dsl

import (
	"encoding/json"
	"strconv"

	"github.com/sluicehq/sluice/spec"
)

// The platform spec: the Kubernetes settings of tasks (kubernetes.go) as the
// KFP compiler writes them, one KubernetesExecutorConfig a task.

// kubeConfig is the task's entry of the platform spec (a
// KubernetesExecutorConfig as JSON), nil when it has no settings. Channels
// are resolved in the task's group, as its inputs are.
func (c *compiler) kubeConfig(t *Task) map[string]any {
	k := t.k8s
	if k == nil {
		if t.def.kubeBase == nil {
			return nil
		}
		k = &k8sSettings{}
	}
	param := func(what string, v k8sValue) (any, bool) {
		if v.ch == nil {
			return map[string]any{"runtimeValue": map[string]any{"constant": v.constant}}, true
		}
		n := len(c.errs)
		r, ok := c.resolve(*v.ch, t.group, t, "")
		if !ok {
			for _, e := range c.errs[n:] {
				e.Msg = what + ": " + e.Msg
			}
			return nil, false
		}
		return c.paramRef(t.group, r, t), true
	}
	// named sets <field>Parameter, and the deprecated <field> for a
	// constant name.
	named := func(entry map[string]any, field, what string, v k8sValue) bool {
		p, ok := param(what, v)
		if !ok {
			return false
		}
		entry[field+"Parameter"] = p
		if v.ch == nil {
			entry[field] = v.constant
		}
		return true
	}
	m := map[string]any{}
	add := func(key string, entry any) { m[key] = append(asList(m[key]), entry) }
	// volumes and envs add the secrets or config maps (named in field
	// <nameField>, their keys in <keyField>) of method what as key.
	volumes := func(key, nameField, what string, l []k8sMount) {
		for _, x := range l {
			e := map[string]any{"mountPath": x.mountPath, "optional": x.optional}
			if named(e, nameField, what, x.name) {
				add(key, e)
			}
		}
	}
	envs := func(key, nameField, keyField, what string, l []k8sEnvFrom) {
		for _, x := range l {
			e := map[string]any{"keyToEnv": keyToEnvJSON(keyField, x.keys), "optional": x.optional}
			if named(e, nameField, what, x.name) {
				add(key, e)
			}
		}
	}
	volumes("secretAsVolume", "secretName", "UseSecretAsVolume", k.secretVolumes)
	envs("secretAsEnv", "secretName", "secretKey", "UseSecretAsEnv", k.secretEnv)
	for _, x := range k.pvcs {
		e := map[string]any{"mountPath": x.mountPath}
		if x.subPath != "" {
			e["subPath"] = x.subPath
		}
		p, ok := param("MountPVC", x.name)
		if !ok {
			continue
		}
		e["pvcNameParameter"] = p
		// The deprecated pvc_reference oneof mirrors the parameter.
		switch ip, _ := p.(*spec.InputParameter); {
		case x.name.ch == nil:
			e["constant"] = x.name.constant
		case ip != nil && ip.TaskOutputParameter != nil:
			e["taskOutputParameter"] = ip.TaskOutputParameter
		case ip != nil && ip.ComponentInputParameter != "" && ip.ParameterExpressionSelector == "":
			e["componentInputParameter"] = ip.ComponentInputParameter
		}
		add("pvcMount", e)
	}
	if len(k.nodeSelector) > 0 || k.nodeSelectorJSON != nil {
		ns := map[string]any{}
		if len(k.nodeSelector) > 0 {
			ns["labels"] = k.nodeSelector
		}
		if k.nodeSelectorJSON != nil {
			if p, ok := param("AddNodeSelectorJSON", *k.nodeSelectorJSON); ok {
				ns["nodeSelectorJson"] = p
			}
		}
		m["nodeSelector"] = ns
	}
	if len(k.labels)+len(k.annotations) > 0 {
		pm := map[string]any{}
		if len(k.labels) > 0 {
			pm["labels"] = k.labels
		}
		if len(k.annotations) > 0 {
			pm["annotations"] = k.annotations
		}
		m["podMetadata"] = pm
	}
	for _, x := range k.pullSecrets {
		e := map[string]any{}
		if named(e, "secretName", "SetImagePullSecrets", x) {
			add("imagePullSecret", e)
		}
	}
	if k.pullPolicy != "" {
		m["imagePullPolicy"] = k.pullPolicy
	}
	volumes("configMapAsVolume", "configMapName", "UseConfigMapAsVolume", k.configMapVolumes)
	envs("configMapAsEnv", "configMapName", "configMapKey", "UseConfigMapAsEnv", k.configMapEnv)
	if k.deadline > 0 {
		// int64 fields are strings in protobuf JSON.
		m["activeDeadlineSeconds"] = strconv.FormatInt(k.deadline, 10)
	}
	for _, x := range k.fieldPaths {
		add("fieldPathAsEnv", map[string]any{"name": x.env, "fieldPath": x.fieldPath})
	}
	for _, x := range k.tolerations {
		e := map[string]any{}
		if x.json != nil {
			p, ok := param("AddTolerationJSON", *x.json)
			if !ok {
				continue
			}
			e["tolerationJson"] = p
		} else {
			for f, v := range map[string]string{"key": x.tol.Key, "operator": x.tol.Operator, "value": x.tol.Value, "effect": x.tol.Effect} {
				if v != "" {
					e[f] = v
				}
			}
			if x.tol.Seconds != nil {
				e["tolerationSeconds"] = strconv.FormatInt(*x.tol.Seconds, 10)
			}
		}
		add("tolerations", e)
	}
	for _, x := range k.nodeAffinity {
		if p, ok := param("AddNodeAffinityJSON", x); ok {
			add("nodeAffinity", map[string]any{"nodeAffinityJson": p})
		}
	}
	if sm := k.sharedMemory; sm != nil {
		e := map[string]any{"volumeName": sm.volume}
		if sm.sizeLimit != "" {
			e["size"] = sm.sizeLimit
		}
		m["enabledSharedMemory"] = e
	}
	for _, x := range k.emptyDirs {
		e := map[string]any{"volumeName": x.volume, "mountPath": x.mountPath}
		if x.medium != "" {
			e["medium"] = x.medium
		}
		if x.sizeLimit != "" {
			e["sizeLimit"] = x.sizeLimit
		}
		add("emptyDirMounts", e)
	}
	// The platform spec holds JSON: turn the structs in it into maps.
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	var own map[string]any
	if err := json.Unmarshal(b, &own); err != nil {
		panic(err)
	}
	out := mergeKube(t.def.kubeBase, own)
	if len(out) == 0 {
		return nil
	}
	return out
}

// mergeKube adds a task's own settings to those of the component file it
// runs: lists are joined, the labels of maps merged, other fields replaced.
func mergeKube(base, own map[string]any) map[string]any {
	if base == nil {
		return own
	}
	out := *cloneJSON(&base)
	for k, v := range own {
		switch b := out[k].(type) {
		case []any:
			if l, ok := v.([]any); ok {
				out[k] = append(b, l...)
				continue
			}
		case map[string]any:
			if m, ok := v.(map[string]any); ok {
				for kk, vv := range m {
					bm, ok1 := b[kk].(map[string]any)
					vm, ok2 := vv.(map[string]any)
					if ok1 && ok2 {
						for x, y := range vm {
							bm[x] = y
						}
						continue
					}
					b[kk] = vv
				}
				continue
			}
		}
		out[k] = v
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func keyToEnvJSON(keyField string, keys [][2]string) []any {
	var l []any
	for _, kv := range keys {
		l = append(l, map[string]any{keyField: kv[0], "envVar": kv[1]})
	}
	return l
}
