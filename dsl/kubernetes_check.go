package dsl

import (
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/spec"
)

// Checks of the Kubernetes settings of tasks: names, channels, JSON values,
// mount paths, volume names, keys.

var (
	// k8sObjectName is a DNS-1123 subdomain: the names of secrets, config
	// maps and PVCs.
	k8sObjectName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// k8sVolumeName is a DNS-1123 label.
	k8sVolumeName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// k8sLabelName is the name part of a label or annotation key, and a
	// label value.
	k8sLabelName = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	// k8sDataKey is a key of a secret's or config map's data.
	k8sDataKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	// k8sFieldPathRE are the pod fields an environment variable may hold.
	k8sFieldPathRE = regexp.MustCompile(`^(metadata\.(name|namespace|uid)|metadata\.(labels|annotations)\['[^']+'\]|spec\.(nodeName|serviceAccountName)|status\.(hostIP|hostIPs|podIP|podIPs))$`)
)

// k8sName checks a name given as a string or a string Channel.
func (t *Task) k8sName(what, kind string, v any) (k8sValue, bool) {
	switch x := v.(type) {
	case string:
		switch {
		case x == "":
			t.errorf("", "%s: empty %s name", what, kind)
		case len(x) > 253 || !k8sObjectName.MatchString(x):
			t.errorf("", "%s(%q): not a valid %s name (lowercase letters, digits, '-' and '.', at most 253 characters)", what, x, kind)
		default:
			return k8sValue{constant: x}, true
		}
	case Channel:
		if t.k8sChannel(what, x, String) {
			return k8sValue{ch: &x}, true
		}
	case *Channel:
		if x == nil {
			t.errorf("", "%s: nil Channel", what)
			break
		}
		return t.k8sName(what, kind, *x)
	case Template:
		t.errorf("", "%s: a %s name cannot be made with Sprintf; compute it in a task and pass its output", what, kind)
	default:
		t.errorf("", "%s: wants the %s name as a string or a string Channel, got %T", what, kind, v)
	}
	return k8sValue{}, false
}

// k8sChannel checks a channel used by a setting: one of this pipeline, of
// one of the types wanted.
func (t *Task) k8sChannel(what string, c Channel, want ...Type) bool {
	switch {
	case !c.valid():
		t.errorf("", "%s: got an invalid (zero) Channel", what)
	case c.p != t.p:
		t.errorf("", "%s: %s belongs to pipeline %q, not to %q", what, c, c.p.name, t.p.name)
	case c.task == t && c.kind == chanOutput:
		t.errorf("", "%s: the task's own output %q cannot configure its pod", what, c.name)
	case c.kind == chanField:
		return true // typed when the task runs
	case !slices.ContainsFunc(want, func(w Type) bool { return compatible(c.Type(), w) && !c.Type().IsArtifact() }):
		t.errorf("", "%s: %s is a %s, not a %s", what, c, c.Type(), typeNames(want))
	default:
		return true
	}
	return false
}

// k8sJSON checks the value of a *Json setting: a Channel of one of the
// types wanted, or a constant that encoding/json turns into one.
func (t *Task) k8sJSON(what string, v any, want ...Type) (k8sValue, bool) {
	switch x := v.(type) {
	case Channel:
		if t.k8sChannel(what, x, want...) {
			return k8sValue{ch: &x}, true
		}
		return k8sValue{}, false
	case *Channel:
		if x != nil {
			return t.k8sJSON(what, *x, want...)
		}
	case nil:
	default:
		j, err := jsonValue(v)
		if err != nil {
			t.errorf("", "%s: %v", what, err)
			return k8sValue{}, false
		}
		for _, w := range want {
			switch j.(type) {
			case map[string]any:
				if w.param == spec.TypeStruct {
					return k8sValue{constant: j}, true
				}
			case []any:
				if w.param == spec.TypeList {
					return k8sValue{constant: j}, true
				}
			}
		}
	}
	t.errorf("", "%s: wants a %s (a Go value or a Channel), got %s", what, typeNames(want), describeConst(v))
	return k8sValue{}, false
}

// typeNames names the types a setting wants: "Struct or List".
func typeNames(want []Type) string {
	var names []string
	for _, w := range want {
		names = append(names, w.String())
	}
	return strings.Join(names, " or ")
}

// mountPath checks a mount path and claims it for the task.
func (t *Task) mountPath(k *k8sSettings, what, p, user string) bool {
	switch {
	case p == "":
		t.errorf("", "%s: empty mount path", what)
	case !path.IsAbs(p) || strings.Contains(p, ":"):
		t.errorf("", "%s(%q): the mount path must be an absolute path without ':'", what, p)
	case k.mounts[path.Clean(p)] != "":
		t.errorf("", "%s: mount path %q is already used by %s", what, p, k.mounts[path.Clean(p)])
	default:
		k.mounts[path.Clean(p)] = user
		return true
	}
	return false
}

// volumeName checks a volume name and claims it for the task.
func (t *Task) volumeName(k *k8sSettings, what, v string) bool {
	switch {
	case v == "":
		t.errorf("", "%s: empty volume name", what)
	case len(v) > 63 || !k8sVolumeName.MatchString(v):
		t.errorf("", "%s(%q): not a valid volume name (lowercase letters, digits and '-', at most 63 characters)", what, v)
	case k.volumes[v] != "":
		t.errorf("", "%s: volume name %q is already used by %s", what, v, k.volumes[v])
	default:
		k.volumes[v] = what
		return true
	}
	return false
}

// keyToEnv checks and sorts a map of data keys to environment variables.
func (t *Task) keyToEnv(what, kind string, m map[string]string) ([][2]string, bool) {
	if len(m) == 0 {
		t.errorf("", "%s: no keys: map each key of the %s to an environment variable", what, kind)
		return nil, false
	}
	ok := true
	var keys [][2]string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		env := m[k]
		switch {
		case !k8sDataKey.MatchString(k):
			t.errorf("", "%s: %q is not a valid %s key (letters, digits, '-', '_' and '.')", what, k, kind)
			ok = false
		case !validEnvName(env):
			t.errorf("", "%s: key %q: %q is not a valid environment variable name", what, k, env)
			ok = false
		}
		keys = append(keys, [2]string{k, env})
	}
	return keys, ok
}

func validEnvName(s string) bool {
	return s != "" && !strings.ContainsAny(s, "=\x00")
}

// validLabelKey reports whether s is a label or annotation key: a name,
// with an optional DNS subdomain prefix and '/'.
func validLabelKey(s string) bool {
	name := s
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		prefix := s[:i]
		name = s[i+1:]
		if len(prefix) > 253 || !k8sObjectName.MatchString(prefix) {
			return false
		}
	}
	return len(name) <= 63 && k8sLabelName.MatchString(name)
}
