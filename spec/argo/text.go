package argo

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

// segment is a piece of an Argo string: literal text, or one {{name}}
// placeholder.
type segment struct {
	lit  string
	name string // the placeholder's name, spaces trimmed; "" for literal text
	text string // the placeholder as written
}

var tagRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{\{\s*([-._a-zA-Z0-9]+)\s*\}\}`) })

// segments splits s into literal text and placeholders. Braces that do
// not hold a placeholder name are literal text (Argo leaves them too).
func segments(s string) []segment {
	var out []segment
	i := 0
	for _, m := range tagRE().FindAllStringSubmatchIndex(s, -1) {
		if m[0] > i {
			out = append(out, segment{lit: s[i:m[0]]})
		}
		out = append(out, segment{name: s[m[2]:m[3]], text: s[m[0]:m[1]]})
		i = m[1]
	}
	if i < len(s) {
		out = append(out, segment{lit: s[i:]})
	}
	return out
}

// ref is where a value comes from inside one IR component: one of its
// input parameters (with a field selector for loop item fields), or an
// output parameter of a sibling task. item marks the loop item while a
// loop task's own fields are read.
type ref struct {
	param string
	sel   string
	task  string
	key   string
	item  bool
}

// part is a piece of a value: literal text, or a runtime reference whose
// placeholder text (Argo's, kept for when it cannot be resolved) is text.
type part struct {
	lit  string
	ref  *ref
	text string
}

func lit(s string) []part { return []part{{lit: s}} }

// isConst reports whether ps has no runtime reference.
func isConst(ps []part) bool {
	for _, p := range ps {
		if p.ref != nil {
			return false
		}
	}
	return true
}

// constText joins the literal text of ps (references as written).
func constText(ps []part) string {
	var b strings.Builder
	for _, p := range ps {
		if p.ref != nil {
			b.WriteString(p.text)
		} else {
			b.WriteString(p.lit)
		}
	}
	return b.String()
}

// merge joins adjacent literal parts.
func merge(ps []part) []part {
	var out []part
	for _, p := range ps {
		if p.ref == nil && len(out) > 0 && out[len(out)-1].ref == nil {
			out[len(out)-1].lit += p.lit
			continue
		}
		if p.ref == nil && p.lit == "" {
			continue
		}
		out = append(out, p)
	}
	return out
}

// lookup resolves a placeholder name: its parts, whether it is known (an
// unknown placeholder stays as written), or an error.
type lookup func(name, text string) ([]part, bool, error)

// parse reads s into parts with env resolving its placeholders.
func parse(s string, env lookup) ([]part, error) {
	var out []part
	for _, seg := range segments(s) {
		if seg.name == "" {
			out = append(out, part{lit: seg.lit})
			continue
		}
		ps, ok, err := env(seg.name, seg.text)
		if err != nil {
			return nil, err
		}
		if !ok {
			out = append(out, part{lit: seg.text})
			continue
		}
		out = append(out, ps...)
	}
	return merge(out), nil
}

// globals are the workflow-wide placeholders and the IR system values
// they become.
var globals = map[string]string{
	"workflow.uid":               "{{$.pipeline_job_uuid}}",
	"workflow.name":              "{{$.pipeline_job_name}}",
	"workflow.creationTimestamp": "{{$.pipeline_job_create_time_utc}}",
	"pod.name":                   "{{$.pipeline_task_uuid}}",
}

// wfParamInput names the hidden input through which a component below the
// root receives workflow parameter name.
func wfParamInput(name string) string { return "{{workflow.parameters." + name + "}}" }

// itemInput is the loop item's input in a loop body.
const itemInput = "{{item}}"

var wfParamRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\{\{\s*workflow\.parameters\.([-_a-zA-Z0-9]+)\s*\}\}`)
})

// wfParamsIn returns the workflow parameters s mentions.
func wfParamsIn(s string) []string {
	var out []string
	for _, m := range wfParamRE().FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// pathReplacer rewrites declared file paths (longest first) in literal
// text.
type pathReplacer struct {
	r *strings.Replacer
}

func newPathReplacer(paths map[string]string) *pathReplacer {
	keys := make([]string, 0, len(paths))
	for k := range paths {
		if k != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return &pathReplacer{}
	}
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) > len(keys[j])
		}
		return keys[i] < keys[j]
	})
	var args []string
	for _, k := range keys {
		args = append(args, k, paths[k])
	}
	return &pathReplacer{r: strings.NewReplacer(args...)}
}

func (p *pathReplacer) replace(s string) string {
	if p.r == nil {
		return s
	}
	return p.r.Replace(s)
}
