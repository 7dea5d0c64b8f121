"""Reads one function's signature from a Python file for `sluice component
from-python`, without importing or running the file.

Usage: python3 signature.py FILE FUNCTION

The file is parsed with `ast`; annotations are read from the syntax tree and
classified the way the KFP SDK classifies them for @dsl.component. On success
one JSON object is printed on stdout:

    {"name": ..., "source": <the function's source, decorators dropped>,
     "description": <docstring summary or null>,
     "inputs":  [{"name", "kind": "parameter"|"artifact", "type",
                  "isList", "optional", "hasDefault", "default",
                  "description"}],
     "outputs": [{"name", "kind", "type", "isList", "description"}]}

"type" is an IR parameter type (STRING, NUMBER_INTEGER, ...) for parameters
and a schema title (system.Dataset, ...) for artifacts. On a problem with the
file, one line "FILE:LINE: message" is printed on stderr and the exit status
is 2.
"""

import ast
import json
import re
import sys

PARAMETER_TYPES = {
    'str': 'STRING',
    'int': 'NUMBER_INTEGER',
    'float': 'NUMBER_DOUBLE',
    'bool': 'BOOLEAN',
    'list': 'LIST',
    'List': 'LIST',
    'dict': 'STRUCT',
    'Dict': 'STRUCT',
}

ARTIFACT_CLASSES = {
    'Artifact': 'system.Artifact',
    'Dataset': 'system.Dataset',
    'Model': 'system.Model',
    'Metrics': 'system.Metrics',
    'ClassificationMetrics': 'system.ClassificationMetrics',
    'SlicedClassificationMetrics': 'system.SlicedClassificationMetrics',
    'HTML': 'system.HTML',
    'Markdown': 'system.Markdown',
}

# Type names accepted in InputPath('...') / OutputPath('...') strings, as in
# KFP v1 component files (compared in lower case). Any other name is an
# artifact of type system.Artifact.
V1_TYPE_NAMES = {
    'integer': 'NUMBER_INTEGER',
    'int': 'NUMBER_INTEGER',
    'double': 'NUMBER_DOUBLE',
    'float': 'NUMBER_DOUBLE',
    'string': 'STRING',
    'str': 'STRING',
    'text': 'STRING',
    'bool': 'BOOLEAN',
    'boolean': 'BOOLEAN',
    'dict': 'STRUCT',
    'jsonobject': 'STRUCT',
    'list': 'LIST',
    'jsonarray': 'LIST',
}

# Python names each parameter type accepts as a default value.
DEFAULT_TYPES = {
    'STRING': (str,),
    'NUMBER_INTEGER': (int,),
    'NUMBER_DOUBLE': (int, float),
    'BOOLEAN': (bool,),
    'LIST': (list, tuple),
    'STRUCT': (dict,),
}

SUPPORTED = ('str, int, float, bool, list, dict, List[...], Dict[...], '
             'Optional[...], Input[T], Output[T], InputPath(...), '
             'OutputPath(...), PipelineTaskFinalStatus and the artifact '
             'classes ' + ', '.join(sorted(ARTIFACT_CLASSES)))


class Problem(Exception):

    def __init__(self, line, msg):
        Exception.__init__(self, msg)
        self.line = line
        self.msg = msg


def dotted(node):
    """Returns the last name of a Name or Attribute node (dsl.Dataset ->
    Dataset), or None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def subscript_parts(node):
    """For X[a, b] returns (X's name, [a, b])."""
    sl = node.slice
    if sys.version_info < (3, 9) and isinstance(sl, ast.Index):
        sl = sl.value
    items = list(sl.elts) if isinstance(sl, ast.Tuple) else [sl]
    return dotted(node.value), items


def show(node):
    try:
        return ast.unparse(node)
    except AttributeError:  # Python < 3.9
        return ast.dump(node)


def is_none(node):
    return isinstance(node, ast.Constant) and node.value is None


class Classifier(object):
    """Turns annotation nodes into descriptors (dicts with a "what" key)."""

    def __init__(self, where):
        self.where = where  # "parameter 'x'" or "the return annotation"

    def fail(self, node, msg):
        raise Problem(getattr(node, 'lineno', None), '%s: %s' % (self.where,
                                                                 msg))

    def unsupported(self, node):
        self.fail(
            node, 'unsupported annotation %r (supported: %s)' %
            (show(node), SUPPORTED))

    def strip_optional(self, node):
        """Optional[T], Union[T, None] and T | None -> (T, True)."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode='eval').body
            except SyntaxError:
                self.fail(node, 'annotation %r is not valid Python' %
                          node.value)
        if isinstance(node, ast.Subscript):
            name, items = subscript_parts(node)
            if name == 'Optional' and len(items) == 1:
                return self.strip_optional(items[0])[0], True
            if name == 'Union':
                rest = [i for i in items if not is_none(i)]
                if len(rest) == 1 and len(items) == 2:
                    return self.strip_optional(rest[0])[0], True
                self.fail(node, 'Union of several types is not supported')
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            if is_none(node.right):
                return self.strip_optional(node.left)[0], True
            if is_none(node.left):
                return self.strip_optional(node.right)[0], True
            self.fail(node, 'a union of several types is not supported')
        return node, False

    def value_type(self, node):
        """A parameter type or an artifact class, possibly a list of
        artifacts: returns a descriptor or None when it is neither."""
        node, _ = self.strip_optional(node)
        name = dotted(node)
        if name in PARAMETER_TYPES:
            return {'what': 'parameter', 'type': PARAMETER_TYPES[name]}
        if name in ARTIFACT_CLASSES:
            return {
                'what': 'artifact',
                'type': ARTIFACT_CLASSES[name],
                'isList': False
            }
        if isinstance(node, ast.Subscript):
            base, items = subscript_parts(node)
            if base in ('List', 'list') and len(items) == 1:
                inner = dotted(self.strip_optional(items[0])[0])
                if inner in ARTIFACT_CLASSES:
                    return {
                        'what': 'artifact',
                        'type': ARTIFACT_CLASSES[inner],
                        'isList': True
                    }
                return {'what': 'parameter', 'type': 'LIST'}
            if base in ('Dict', 'dict'):
                return {'what': 'parameter', 'type': 'STRUCT'}
        return None

    def path_type(self, call):
        """The type argument of InputPath(...) / OutputPath(...)."""
        args = list(call.args) + [k.value for k in call.keywords]
        if not args:
            return {'what': 'artifact', 'type': 'system.Artifact',
                    'isList': False}
        arg = args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            name = arg.value
            if name.lower() in V1_TYPE_NAMES:
                return {'what': 'parameter',
                        'type': V1_TYPE_NAMES[name.lower()]}
            for cls, title in ARTIFACT_CLASSES.items():
                if name.lower() == cls.lower():
                    return {'what': 'artifact', 'type': title,
                            'isList': False}
            return {'what': 'artifact', 'type': 'system.Artifact',
                    'isList': False}
        found = self.value_type(arg)
        if found is None or found.get('isList'):
            self.unsupported(call)
        return found

    def parameter(self, node):
        """A function parameter annotation -> descriptor with "io" set to
        "input" or "output"."""
        if node is None:
            self.fail(None, 'missing type annotation (every parameter of a '
                      'component needs one: ' + SUPPORTED + ')')
        node, optional = self.strip_optional(node)
        name = dotted(node)
        if isinstance(node, ast.Subscript):
            base, items = subscript_parts(node)
            if base in ('Input', 'Output') and len(items) == 1:
                found = self.value_type(items[0])
                if found is None or found['what'] != 'artifact':
                    self.fail(node, '%s[...] takes an artifact class such '
                              'as Dataset or Model, not %r' %
                              (base, show(items[0])))
                if base == 'Output' and found['isList']:
                    self.fail(node, 'Output[List[...]] is not supported')
                found['io'] = base.lower()
                found['optional'] = optional
                return found
        if isinstance(node, ast.Call) and dotted(node.func) in ('InputPath',
                                                                'OutputPath'):
            found = self.path_type(node)
            found['io'] = 'input' if dotted(node.func) == 'InputPath' \
                else 'output'
            found['optional'] = optional
            return found
        if name == 'PipelineTaskFinalStatus':
            return {'what': 'parameter', 'type': 'TASK_FINAL_STATUS',
                    'io': 'input', 'optional': True}
        found = self.value_type(node)
        if found is None:
            self.unsupported(node)
        found['io'] = 'input'
        found['optional'] = optional
        return found

    def returns(self, node):
        """The return annotation -> list of (name, descriptor)."""
        if node is None or is_none(node):
            return []
        node, _ = self.strip_optional(node)
        if isinstance(node, ast.Call) and dotted(node.func) == 'NamedTuple':
            return self.named_tuple(node)
        if isinstance(node, ast.Subscript) and subscript_parts(node)[0] in (
                'Input', 'Output'):
            self.fail(node, 'return annotations are plain types (write '
                      '-> Model, not -> Output[Model])')
        found = self.value_type(node)
        if found is None:
            if isinstance(node, ast.Name):
                self.fail(node, 'unsupported return annotation %r; for '
                          'several outputs write NamedTuple(\'Outputs\', '
                          '[(\'name\', type), ...]) in the annotation '
                          '(a class defined outside the function is not '
                          'part of the component)' % show(node))
            self.unsupported(node)
        return [('Output', found)]

    def named_tuple(self, call):
        fields = []
        if len(call.args) >= 2:
            spec = call.args[1]
            if not isinstance(spec, (ast.List, ast.Tuple)):
                self.fail(call, 'NamedTuple fields must be a literal list of '
                          '(name, type) pairs')
            for item in spec.elts:
                if not (isinstance(item, (ast.Tuple, ast.List)) and
                        len(item.elts) == 2 and
                        isinstance(item.elts[0], ast.Constant) and
                        isinstance(item.elts[0].value, str)):
                    self.fail(item, 'NamedTuple fields must be (name, type) '
                              'pairs')
                fields.append((item.elts[0].value, item.elts[1]))
        for kw in call.keywords:
            fields.append((kw.arg, kw.value))
        if not fields:
            self.fail(call, 'NamedTuple has no fields')
        out = []
        for fname, fnode in fields:
            found = Classifier('%s, field %r' % (self.where, fname)).value_type(
                fnode)
            if found is None:
                Classifier('%s, field %r' % (self.where, fname)).unsupported(
                    fnode)
            out.append((fname, found))
        return out


SECTION = re.compile(
    r'^(Args|Arguments|Parameters|Params|Returns|Return|Yields|Raises|'
    r'Attributes|Examples?|Notes?|Warnings?|See Also|Todo)\s*:\s*$')
ITEM = re.compile(r'^(\*{0,2}\w+)\s*(\([^)]*\))?\s*:\s?(.*)$')


def parse_docstring(doc):
    """A Google-style docstring -> (description, {name: description}) for
    the Args and Returns sections."""
    if not doc:
        return None, {}
    lines = doc.split('\n')
    desc = []
    items = {}
    i = 0
    while i < len(lines) and not SECTION.match(lines[i]):
        desc.append(lines[i])
        i += 1
    section = None
    current = None
    base = None
    while i < len(lines):
        line = lines[i]
        i += 1
        m = SECTION.match(line)
        if m:
            section = m.group(1)
            current, base = None, None
            continue
        if section not in ('Args', 'Arguments', 'Parameters', 'Params',
                           'Returns', 'Return'):
            continue
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if base is None:
            base = indent
        if indent <= base:
            m = ITEM.match(line.strip())
            if m:
                current = m.group(1).lstrip('*')
                items.setdefault(current, [])
                if m.group(3).strip():
                    items[current].append(m.group(3).strip())
                continue
        if current is not None:
            items[current].append(line.strip())
    text = '\n'.join(desc).strip()
    if text:
        first, _, rest = text.partition('\n')
        rest = rest.strip()
        text = first.strip() + ('\n' + rest if rest else '')
    return (text or None), dict(
        (k, '\n'.join(v)) for k, v in items.items() if v)


def literal_default(node, where):
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise Problem(node.lineno, '%s: the default %r is not a literal '
                      '(a component default must be a constant such as '
                      '3, \'x\', [1, 2] or None)' % (where, show(node)))


def check_default(value, desc, where, line):
    if value is None:
        return
    if desc['what'] == 'artifact':
        raise Problem(line, '%s: an input artifact may only default to None'
                      % where)
    want = DEFAULT_TYPES.get(desc['type'])
    if want is None:
        raise Problem(line, '%s: this input takes no default' % where)
    ok = isinstance(value, want)
    if desc['type'] in ('NUMBER_INTEGER', 'NUMBER_DOUBLE') and isinstance(
            value, bool):
        ok = False
    if not ok:
        raise Problem(line, '%s: the default %r does not match the '
                      'annotation (%s)' % (where, value, desc['type']))


def json_default(value):
    if isinstance(value, tuple):
        return [json_default(v) for v in value]
    if isinstance(value, list):
        return [json_default(v) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError('dictionary keys must be strings')
            out[k] = json_default(v)
        return out
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError('%r cannot be written as JSON' % (value,))


def function_source(lines, node):
    """The function's source as KFP embeds it: from the `def` line (its
    decorators dropped) to the end of the body, dedented."""
    body = lines[node.lineno - 1:node.end_lineno]
    indent = len(body[0]) - len(body[0].lstrip())
    out = []
    for line in body:
        out.append(line[indent:] if line[:indent].strip() == '' else line)
    return '\n'.join(out) + '\n'


def signature(path, func_name):
    with open(path) as f:  # universal newlines, as inspect.getsource
        text = f.read()
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as e:
        raise Problem(e.lineno, 'syntax error: %s' % e.msg)
    except (ValueError, RecursionError, MemoryError) as e:
        raise Problem(None, 'cannot be parsed: %s' % (str(e) or
                                                      type(e).__name__))
    found = None
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
            if node.name == func_name:
                found = node
    if found is None:
        raise Problem(None, 'no function %r at the top level (functions: %s)'
                      % (func_name, ', '.join(names) or 'none'))
    node = found
    where = 'function %r' % func_name
    if isinstance(node, ast.AsyncFunctionDef):
        raise Problem(node.lineno, '%s: async functions cannot be components'
                      % where)
    args = node.args
    if args.vararg or args.kwarg:
        bad = args.vararg or args.kwarg
        raise Problem(node.lineno, '%s, parameter %r: *args and **kwargs '
                      'cannot be component inputs' % (where, bad.arg))
    positional = list(getattr(args, 'posonlyargs', [])) + list(args.args)
    defaults = [None] * (len(positional) - len(args.defaults)) + list(
        args.defaults)
    params = list(zip(positional, defaults)) + list(
        zip(args.kwonlyargs, args.kw_defaults))

    description, docs = parse_docstring(ast.get_docstring(node))
    inputs, outputs, seen = [], [], set()
    for arg, default in params:
        pwhere = '%s, parameter %r' % (where, arg.arg)
        if arg.arg == 'Output':
            raise Problem(arg.lineno, '%s: "Output" is reserved for the '
                          'return value' % pwhere)
        desc = Classifier(pwhere).parameter(arg.annotation)
        seen.add(arg.arg)
        if desc['io'] == 'output':
            if default is not None:
                raise Problem(arg.lineno, '%s: an output takes no default'
                              % pwhere)
            outputs.append({
                'name': arg.arg,
                'kind': desc['what'],
                'type': desc['type'],
                'isList': desc.get('isList', False),
                'description': docs.get(arg.arg),
            })
            continue
        has_default = default is not None
        value = None
        if has_default:
            value = literal_default(default, pwhere)
            check_default(value, desc, pwhere, default.lineno)
            if desc['type'] == 'NUMBER_DOUBLE' and isinstance(value, int):
                value = float(value)
            try:
                value = json_default(value)
            except TypeError as e:
                raise Problem(default.lineno, '%s: default: %s' % (pwhere, e))
        inputs.append({
            'name': arg.arg,
            'kind': desc['what'],
            'type': desc['type'],
            'isList': desc.get('isList', False),
            'optional': has_default or desc['type'] == 'TASK_FINAL_STATUS',
            'hasDefault': has_default and value is not None,
            'default': value,
            'description': docs.get(arg.arg),
        })
    for name, desc in Classifier('%s, the return annotation' % where).returns(
            node.returns):
        if name in seen:
            raise Problem(node.lineno, '%s: the return field %r has the same '
                          'name as a parameter' % (where, name))
        outputs.append({
            'name': name,
            'kind': desc['what'],
            'type': desc['type'],
            'isList': desc.get('isList', False),
            'description': docs.get(name),
        })
    return {
        'name': func_name,
        'source': function_source(text.split('\n'), node),
        'description': description,
        'inputs': inputs,
        'outputs': outputs,
    }


def main(argv):
    if len(argv) != 3:
        sys.stderr.write('usage: signature.py FILE FUNCTION\n')
        return 2
    path, func = argv[1], argv[2]
    try:
        result = signature(path, func)
    except Problem as p:
        loc = path if p.line is None else '%s:%d' % (path, p.line)
        sys.stderr.write('%s: %s\n' % (loc, p.msg))
        return 2
    except (IOError, OSError, UnicodeDecodeError) as e:
        sys.stderr.write('%s: %s\n' % (path, e))
        return 2
    except (RecursionError, MemoryError) as e:
        sys.stderr.write('%s: too deeply nested to read (%s)\n' % (
            path, type(e).__name__))
        return 2
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
