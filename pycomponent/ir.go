package pycomponent

import (
	"fmt"
	"slices"
	"strings"
)

// The texts of a compiled lightweight component's command (kfp 2.14), see
// FORMAT.md §6.1: the pip step, the launch script, then the source.
const (
	pipPrefix = "\nif ! [ -x \"$(command -v pip)\" ]; then\n" +
		"    python3 -m ensurepip || python3 -m ensurepip --user || apt-get install python3-pip\n" +
		"fi\n\nPIP_DISABLE_PIP_VERSION_CHECK=1 "
	pipSuffix    = " && \"$0\" \"$@\"\n"
	launchScript = "program_path=$(mktemp -d)\n\n" +
		"printf \"%s\" \"$0\" > \"$program_path/ephemeral_component.py\"\n" +
		"_KFP_RUNTIME=true python3 -m kfp.dsl.executor_main" +
		"                         --component_module_path" +
		"                         \"$program_path/ephemeral_component.py\"" +
		"                         \"$@\"\n"
	sourceImports = "\nimport kfp\nfrom kfp import dsl\nfrom kfp.dsl import *\nfrom typing import *\n\n"
)

var parameterTypes = map[string]bool{
	"STRING": true, "NUMBER_INTEGER": true, "NUMBER_DOUBLE": true, "BOOLEAN": true,
	"LIST": true, "STRUCT": true, "TASK_FINAL_STATUS": true,
}

func pipelineSpec(sig *Signature, name string, o Options) (map[string]any, error) {
	inDefs, err := definitions(sig.Inputs, true)
	if err != nil {
		return nil, fmt.Errorf("function %q: %w", sig.Name, err)
	}
	outDefs, err := definitions(sig.Outputs, false)
	if err != nil {
		return nil, fmt.Errorf("function %q: %w", sig.Name, err)
	}
	comp := map[string]any{"executorLabel": "exec-" + name}
	root := map[string]any{}
	if inDefs != nil {
		comp["inputDefinitions"] = inDefs
		root["inputDefinitions"] = inDefs
	}
	if outDefs != nil {
		comp["outputDefinitions"] = outDefs
		root["outputDefinitions"] = outDefs
	}

	task := map[string]any{
		"cachingOptions": map[string]any{"enableCache": true},
		"componentRef":   map[string]any{"name": "comp-" + name},
		"taskInfo":       map[string]any{"name": name},
	}
	taskIn := map[string]any{}
	for _, in := range sig.Inputs {
		if in.Kind == "artifact" {
			sub(taskIn, "artifacts")[in.Name] = map[string]any{"componentInputArtifact": in.Name}
		} else {
			sub(taskIn, "parameters")[in.Name] = map[string]any{"componentInputParameter": in.Name}
		}
	}
	if len(taskIn) > 0 {
		task["inputs"] = taskIn
	}
	dag := map[string]any{"tasks": map[string]any{name: task}}
	dagOut := map[string]any{}
	for _, out := range sig.Outputs {
		if out.Kind == "artifact" {
			sub(dagOut, "artifacts")[out.Name] = map[string]any{"artifactSelectors": []any{
				map[string]any{"outputArtifactKey": out.Name, "producerSubtask": name},
			}}
		} else {
			sub(dagOut, "parameters")[out.Name] = map[string]any{"valueFromParameter": map[string]any{
				"outputParameterKey": out.Name, "producerSubtask": name,
			}}
		}
	}
	if len(dagOut) > 0 {
		dag["outputs"] = dagOut
	}
	root["dag"] = dag

	command := []any{}
	if pip := pipScript(o); pip != "" {
		command = append(command, "sh", "-c", pip)
	}
	command = append(command, "sh", "-ec", launchScript, sourceImports+sig.Source+"\n")
	container := map[string]any{
		"args":    []any{"--executor_input", "{{$}}", "--function_to_execute", sig.Name},
		"command": command,
		"image":   o.BaseImage,
	}
	return map[string]any{
		"components":     map[string]any{"comp-" + name: comp},
		"deploymentSpec": map[string]any{"executors": map[string]any{"exec-" + name: map[string]any{"container": container}}},
		"pipelineInfo":   map[string]any{"name": name},
		"root":           root,
		"schemaVersion":  "2.1.0",
		"sdkVersion":     o.SDKVersion,
	}, nil
}

func sub(m map[string]any, key string) map[string]any {
	if v, ok := m[key].(map[string]any); ok {
		return v
	}
	v := map[string]any{}
	m[key] = v
	return v
}

// definitions is an inputDefinitions or outputDefinitions value, nil when
// there is nothing to define.
func definitions(ios []IO, inputs bool) (map[string]any, error) {
	defs := map[string]any{}
	for _, io := range ios {
		d := map[string]any{}
		if io.Description != "" {
			d["description"] = io.Description
		}
		switch io.Kind {
		case "parameter":
			if !parameterTypes[io.Type] {
				return nil, fmt.Errorf("%s: unknown parameter type %q", io.Name, io.Type)
			}
			d["parameterType"] = io.Type
			if inputs && io.HasDefault {
				d["defaultValue"] = protoValue(io.Default)
			}
			sub(defs, "parameters")[io.Name] = d
		case "artifact":
			d["artifactType"] = map[string]any{"schemaTitle": io.Type, "schemaVersion": "0.0.1"}
			if io.IsList {
				d["isArtifactList"] = true
			}
			sub(defs, "artifacts")[io.Name] = d
		default:
			return nil, fmt.Errorf("%s: unknown kind %q", io.Name, io.Kind)
		}
		if inputs && io.Optional {
			d["isOptional"] = true
		}
	}
	if len(defs) == 0 {
		return nil, nil
	}
	return defs, nil
}

// protoValue turns a JSON value into what a google.protobuf.Value holds:
// every number a double.
func protoValue(v any) any {
	switch v := v.(type) {
	case float64:
		return v
	case int:
		return float64(v)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = protoValue(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = protoValue(x)
		}
		return out
	}
	return v
}

// pipScript is the "sh -c" script that installs the packages and kfp, as
// kfp 2.14 writes it (user packages first).
func pipScript(o Options) string {
	index := ""
	if len(o.PipIndexURLs) > 0 {
		parts := []string{"--index-url " + o.PipIndexURLs[0]}
		for _, u := range o.PipIndexURLs[1:] {
			parts = append(parts, "--extra-index-url "+u)
		}
		for _, u := range o.PipIndexURLs {
			parts = append(parts, "--trusted-host "+u)
		}
		index = strings.Join(parts, " ") + " "
	}
	install := func(pkgs []string) string {
		q := make([]string, len(pkgs))
		for i, p := range pkgs {
			q[i] = pyStr(p)
		}
		return "python3 -m pip install --quiet --no-warn-script-location " + index + strings.Join(q, " ")
	}
	var cmds []string
	if len(o.Packages) > 0 {
		cmds = append(cmds, install(o.Packages))
	}
	userKFP := slices.ContainsFunc(o.Packages, func(p string) bool { return strings.HasPrefix(p, "kfp") })
	if !userKFP {
		if len(cmds) > 0 {
			cmds = append(cmds, " && ")
		}
		cmds = append(cmds, install([]string{"kfp==" + o.KFPVersion, "--no-deps", `typing-extensions>=3.7.4,<5; python_version<"3.9"`}))
	}
	return pipPrefix + strings.Join(cmds, " ") + pipSuffix
}

// header is the comment block the KFP compiler writes above the spec.
func header(sig *Signature, name string) string {
	var b strings.Builder
	b.WriteString("# PIPELINE DEFINITION\n# Name: " + name + "\n")
	if sig.Description != "" {
		lines := strings.Split(sig.Description, "\n")
		b.WriteString("# Description: " + lines[0] + "\n")
		for _, l := range lines[1:] {
			b.WriteString("#              " + l + "\n")
		}
	}
	section := func(title string, ios []IO, inputs bool) {
		if len(ios) == 0 {
			return
		}
		b.WriteString("# " + title + ":\n")
		sorted := slices.Clone(ios)
		slices.SortFunc(sorted, func(a, c IO) int { return strings.Compare(a.Name, c.Name) })
		for _, io := range sorted {
			b.WriteString("#    " + io.Name + ": " + headerType(io))
			if inputs && io.HasDefault {
				b.WriteString(" [Default: " + pyLiteral(protoValue(io.Default)) + "]")
			}
			b.WriteString("\n")
		}
	}
	section("Inputs", sig.Inputs, true)
	section("Outputs", sig.Outputs, false)
	return b.String()
}

func headerType(io IO) string {
	if io.Kind == "artifact" {
		if io.IsList {
			return "List[" + io.Type + "]"
		}
		return io.Type
	}
	return map[string]string{
		"STRING": "str", "NUMBER_INTEGER": "int", "NUMBER_DOUBLE": "float", "BOOLEAN": "bool",
		"LIST": "list", "STRUCT": "dict", "TASK_FINAL_STATUS": "PipelineTaskFinalStatus",
	}[io.Type]
}

// pyLiteral writes a value as Python's repr would.
func pyLiteral(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		if v {
			return "True"
		}
		return "False"
	case float64:
		return pyRepr(v)
	case string:
		return pyStr(v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = pyLiteral(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		var parts []string
		for _, k := range slices.Sorted(keysOf(v)) {
			parts = append(parts, pyStr(k)+": "+pyLiteral(v[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// pyStr is Python's repr of a str.
func pyStr(s string) string {
	quote := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, "\"") {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(quote):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}
