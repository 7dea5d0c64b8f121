"""Reads one function's interface from a Python file the way kfp 1.8's
func_to_container_op / create_component_from_func does, for `sluice component
from-python --v1`, without importing or running the file.

Usage: python3 -c "$(cat v1_docstring.py v1_source.py signature_v1.py)" FILE FUNCTION
(Go runs the three files as one program; this one comes last.)

The file is parsed with `ast`. Annotations are rebuilt from the syntax tree
as the objects they name — builtin types, `typing` constructs, kfp's
InputPath/OutputPath/... markers, NamedTuple classes; any other name becomes
a stand-in class of that name — and then read with kfp 1.8's rules (V1.md
§3.1). No expression of the file is evaluated: only literals (defaults,
InputPath({...}) types) are read with ast.literal_eval. On success one JSON
object is printed on stdout:

    {"name", "componentName", "description", "source",
     "progRepr", "descriptionRepr", "returns": ""|"single"|"tuple",
     "inputs":  [{"name", "param", "type", "description", "default",
                  "optional", "style"}],
     "outputs": [{"name", "param", "type", "description", "style"}],
     "warnings": [...]}

"style" is "value", "path", "textfile" or "binaryfile" (inputs) and "return",
"path", "textfile" or "binaryfile" (outputs). "type" is null, a string, or
{"$map": [[key, value], ...]} for a mapping type (key order kept). "source"
is the function's source as kfp embeds it: from the `def` line, annotations
stripped with lib2to3's rules. On a problem with the file, one line
"FILE:LINE: message" is printed on stderr and the exit status is 2.
"""

import ast
import builtins
import collections
import inspect
import json
import re
import sys
import typing


class Problem(Exception):

    def __init__(self, line, msg):
        Exception.__init__(self, msg)
        self.line = line
        self.msg = msg


# kfp.components' parameter markers, rebuilt so the same isinstance checks
# apply.
class _Marker(object):
    style = None
    output = False

    def __init__(self, type=None):
        self.type = type


class InputPath(_Marker):
    style = 'path'


class InputTextFile(_Marker):
    style = 'textfile'


class InputBinaryFile(_Marker):
    style = 'binaryfile'


class OutputPath(_Marker):
    style = 'path'
    output = True


class OutputTextFile(_Marker):
    style = 'textfile'
    output = True


class OutputBinaryFile(_Marker):
    style = 'binaryfile'
    output = True


MARKERS = dict((c.__name__, c) for c in (InputPath, InputTextFile,
                                         InputBinaryFile, OutputPath,
                                         OutputTextFile, OutputBinaryFile))
ARTIFACT_MARKERS = ('InputArtifact', 'OutputArtifact')


class KFPModule(object):
    """Stands for kfp or one of its modules: its attributes are the markers
    or further modules."""

    def __init__(self, name):
        self.name = name


# kfp's canonical type names (kfp.components._data_passing).
CANONICAL = {str: 'String', int: 'Integer', float: 'Float', bool: 'Boolean',
             list: 'JsonArray', dict: 'JsonObject'}


def short_type_name(type_name):
    m = re.match(r'(typing\.)?(?P<type>\w+)(?:\[.+\])?', type_name)
    return m.group('type') if m else type_name


def _serialize_str(v):
    if not isinstance(v, str):
        raise TypeError('Value "{}" has type "{}" instead of str.'.format(
            str(v), str(type(v))))
    return v


def _serialize_int(v):
    if isinstance(v, str):
        return v
    if not isinstance(v, int):
        raise TypeError('Value "{}" has type "{}" instead of int.'.format(
            str(v), str(type(v))))
    return str(v)


def _serialize_float(v):
    if isinstance(v, str):
        return v
    if not isinstance(v, (float, int)):
        raise TypeError('Value "{}" has type "{}" instead of float.'.format(
            str(v), str(type(v))))
    return str(v)


def _serialize_bool(v):
    if isinstance(v, str):
        return v
    if not isinstance(v, bool):
        raise TypeError('Value "{}" has type "{}" instead of bool.'.format(
            str(v), str(type(v))))
    return str(v)


def _serialize_json(obj):
    if isinstance(obj, str):
        return obj

    def default_serializer(o):
        raise TypeError("Object of type '%s' is not JSON serializable and "
                        "does not have .to_struct() method." %
                        o.__class__.__name__)

    return json.dumps(obj, default=default_serializer, sort_keys=True)


def _serialize_base64_pickle(obj):
    if isinstance(obj, str):
        return obj
    import base64
    import pickle
    return base64.b64encode(pickle.dumps(obj)).decode('ascii')


SERIALIZERS = {}
for _names, _fn in (
    (('String', 'str'), _serialize_str),
    (('Integer', 'int'), _serialize_int),
    (('Float', 'float'), _serialize_float),
    (('Boolean', 'Bool', 'bool'), _serialize_bool),
    (('JsonArray', 'List', 'list', 'JsonObject', 'Dictionary', 'Dict', 'dict',
      'Json'), _serialize_json),
    (('Base64Pickle',), _serialize_base64_pickle),
):
    for _n in _names:
        SERIALIZERS[_n] = _fn


def serialize_value(value, type_name):
    """kfp's serialize_value: the text a default is written as."""
    if isinstance(value, str):
        return value
    if type_name is None:
        type_name = CANONICAL.get(type(value), type(value).__name__)
    serializer = SERIALIZERS.get(short_type_name(type_name))
    if serializer is None:
        raise TypeError('There are no registered serializers for type "%s".'
                        % type_name)
    try:
        return serializer(value)
    except Exception as e:
        raise ValueError('Failed to serialize the value "%s" of type "%s" to '
                         'type "%s". Exception: %s' % (
                             value, type(value).__name__, type_name, e))


def type_struct(annotation):
    """kfp 1.8's annotation_to_type_struct."""
    if annotation is None or annotation is inspect.Parameter.empty:
        return None
    if isinstance(annotation, str) and not annotation:
        return None
    if isinstance(annotation, dict):
        return annotation
    if isinstance(annotation, type):
        if annotation in CANONICAL:
            return CANONICAL[annotation]
        return str(annotation.__name__)
    if hasattr(annotation, '__forward_arg__'):
        return str(annotation.__forward_arg__)
    return str(annotation)


def strip_optional(annotation):
    if getattr(annotation, '__origin__', None) is typing.Union and \
            annotation.__args__[1] is type(None):
        return annotation.__args__[0]
    return annotation


def stand_in(name, module):
    cls = type(name, (), {'__module__': module})
    cls.__qualname__ = name
    return cls


class Scope(object):
    """The module-level names annotations and defaults may refer to."""

    def __init__(self, tree):
        self.names = {}
        self.constants = {}
        self.future_annotations = False
        self.classes = {}
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                self.import_from(node)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.names[alias.asname] = self.module(alias.name)
                    else:
                        root = alias.name.split('.')[0]
                        self.names[root] = self.module(root)
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name] = node
                self.names.pop(node.name, None)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                    isinstance(node.targets[0], ast.Name):
                try:
                    self.constants[node.targets[0].id] = ast.literal_eval(
                        node.value)
                except (ValueError, TypeError, SyntaxError, MemoryError,
                        RecursionError):
                    self.constants.pop(node.targets[0].id, None)

    @staticmethod
    def module(name):
        if name in ('typing', 'typing_extensions'):
            return typing
        if name == 'collections':
            return collections
        if name == 'kfp' or name.startswith('kfp.'):
            return KFPModule(name)
        return None  # anything else: names through it are stand-ins

    def import_from(self, node):
        mod = node.module or ''
        if node.level == 0 and mod == '__future__':
            for alias in node.names:
                if alias.name == 'annotations':
                    self.future_annotations = True
            return
        target = self.module(mod) if node.level == 0 else None
        for alias in node.names:
            if alias.name == '*':
                if target is typing:
                    for n in typing.__all__:
                        self.names[n] = getattr(typing, n)
                elif isinstance(target, KFPModule):
                    self.names.update(MARKERS)
                continue
            local = alias.asname or alias.name
            value = None
            if target is typing:
                value = getattr(typing, alias.name, None)
            elif target is collections and alias.name == 'namedtuple':
                value = collections.namedtuple
            elif isinstance(target, KFPModule):
                if alias.name in ARTIFACT_MARKERS and not alias.asname:
                    continue  # refused where it is used
                value = MARKERS.get(alias.name) or KFPModule(
                    mod + '.' + alias.name)
            if value is None:
                value = stand_in(alias.name, mod or '__main__')
            self.names[local] = value


class Annotations(object):
    """Rebuilds annotation objects from syntax trees."""

    def __init__(self, scope, where):
        self.scope = scope
        self.where = where
        self.building = set()

    def fail(self, node, msg):
        raise Problem(getattr(node, 'lineno', None), '%s: %s' % (self.where,
                                                                 msg))

    def build(self, node):
        if node is None:
            return inspect.Parameter.empty
        if self.scope.future_annotations:
            return ast.unparse(node)
        return self.value(node)

    def name(self, node, ident):
        if ident in self.scope.names:
            return self.scope.names[ident]
        if ident in self.scope.classes:
            return self.module_class(self.scope.classes[ident])
        if ident in MARKERS:
            return MARKERS[ident]
        if ident in ARTIFACT_MARKERS:
            self.fail(node, '%s is a kfp v2-compatible annotation; a --v1 '
                      'component takes InputPath/OutputPath' % ident)
        val = getattr(builtins, ident, None)
        if isinstance(val, type):
            return val
        if ident in typing.__all__:
            return getattr(typing, ident)
        return stand_in(ident, '__main__')

    def module_class(self, cls):
        """A module-level class: a NamedTuple subclass is rebuilt with its
        fields; any other class is a stand-in of that name."""
        bases = [b for b in cls.bases if isinstance(b, (ast.Name,
                                                         ast.Attribute))]
        is_tuple = any((b.id if isinstance(b, ast.Name) else b.attr) ==
                       'NamedTuple' for b in bases)
        if not is_tuple or cls.name in self.building:
            return stand_in(cls.name, '__main__')
        self.building.add(cls.name)
        try:
            fields = []
            for stmt in cls.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(
                        stmt.target, ast.Name):
                    fields.append((stmt.target.id, self.value(stmt.annotation)))
            return typing.NamedTuple(cls.name, fields)
        finally:
            self.building.discard(cls.name)

    def value(self, node):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.name(node, node.id)
        if isinstance(node, ast.Attribute):
            return self.attribute(node)
        if isinstance(node, ast.Subscript):
            base = self.value(node.value)
            index = self.value(node.slice)
            try:
                return base[index]
            except Exception as e:
                self.fail(node, 'annotation %r: %s' % (ast.unparse(node), e))
        if isinstance(node, ast.Tuple):
            return tuple(self.value(e) for e in node.elts)
        if isinstance(node, ast.List):
            return [self.value(e) for e in node.elts]
        if isinstance(node, ast.Dict):
            try:
                return ast.literal_eval(node)
            except (ValueError, TypeError, SyntaxError, MemoryError,
                    RecursionError):
                if any(k is None for k in node.keys):
                    self.fail(node, 'unsupported annotation %r' %
                              ast.unparse(node))
                return dict((self.literal(k), self.value(v))
                            for k, v in zip(node.keys, node.values))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            try:
                return self.value(node.left) | self.value(node.right)
            except Exception as e:
                self.fail(node, 'annotation %r: %s' % (ast.unparse(node), e))
        if isinstance(node, ast.Call):
            return self.call(node)
        self.fail(node, 'unsupported annotation %r' % ast.unparse(node))

    def attribute(self, node):
        base = self.value(node.value)
        attr = node.attr
        if attr.startswith('_'):
            self.fail(node, 'unsupported annotation %r' % ast.unparse(node))
        if base is typing:
            if hasattr(typing, attr):
                return getattr(typing, attr)
        elif base is collections:
            if attr == 'namedtuple':
                return collections.namedtuple
        elif isinstance(base, KFPModule):
            if attr in ARTIFACT_MARKERS:
                self.fail(node, '%s is a kfp v2-compatible annotation; a '
                          '--v1 component takes InputPath/OutputPath' % attr)
            return MARKERS.get(attr) or KFPModule(base.name + '.' + attr)
        elif isinstance(base, type) and base.__module__ != 'builtins':
            return stand_in(attr, ast.unparse(node.value))
        return stand_in(attr, ast.unparse(node.value))

    def literal(self, node):
        try:
            return ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError,
                RecursionError):
            self.fail(node, '%r is not a literal' % ast.unparse(node))

    def call(self, node):
        fn = self.value(node.func)
        if isinstance(fn, type) and issubclass(fn, _Marker):
            args = list(node.args) + [k.value for k in node.keywords
                                      if k.arg == 'type']
            if len(node.args) > 1 or len(args) > 1 or any(
                    k.arg != 'type' for k in node.keywords):
                self.fail(node, '%s takes one type' % fn.__name__)
            return fn(self.value(args[0]) if args else None)
        if fn is typing.NamedTuple:
            return self.named_tuple(node)
        if fn is collections.namedtuple:
            try:
                return collections.namedtuple(
                    *[self.literal(a) for a in node.args],
                    **dict((k.arg, self.literal(k.value))
                           for k in node.keywords))
            except (TypeError, ValueError) as e:
                self.fail(node, 'namedtuple: %s' % e)
        self.fail(node, 'unsupported annotation %r (a call other than '
                  'InputPath/OutputPath/InputTextFile/OutputTextFile/'
                  'InputBinaryFile/OutputBinaryFile/NamedTuple)' %
                  ast.unparse(node))

    def named_tuple(self, node):
        if not node.args or not isinstance(node.args[0], ast.Constant) or \
                not isinstance(node.args[0].value, str):
            self.fail(node, 'NamedTuple needs a name')
        fields = []
        if len(node.args) >= 2:
            spec = node.args[1]
            if not isinstance(spec, (ast.List, ast.Tuple)):
                self.fail(node, 'NamedTuple fields must be a literal list of '
                          '(name, type) pairs')
            for item in spec.elts:
                if not (isinstance(item, (ast.Tuple, ast.List)) and
                        len(item.elts) == 2 and
                        isinstance(item.elts[0], ast.Constant) and
                        isinstance(item.elts[0].value, str)):
                    self.fail(item, 'NamedTuple fields must be (name, type) '
                              'pairs')
                fields.append((item.elts[0].value, self.value(item.elts[1])))
        kwargs = [(k.arg, self.value(k.value)) for k in node.keywords]
        try:
            if kwargs:
                return typing.NamedTuple(node.args[0].value, **dict(kwargs))
            return typing.NamedTuple(node.args[0].value, fields)
        except Exception as e:  # typing's checks of the field types
            self.fail(node, 'NamedTuple: %s' % e)


def encode_type(t):
    """A type struct as JSON, mapping key order kept."""
    if isinstance(t, dict):
        return {'$map': [[str(k), encode_type(v)] for k, v in t.items()]}
    if isinstance(t, (list, tuple)):
        return [encode_type(v) for v in t]
    return t


def unique(name, taken):
    if name not in taken:
        return name
    i = 2
    while '%s_%d' % (name, i) in taken:
        i += 1
    return '%s_%d' % (name, i)


def component_name(func_name):
    spaced = re.sub(' +', ' ', func_name.replace('_', ' ')).strip(' ')
    if not spaced:
        return None
    return spaced[0].upper() + spaced[1:]


def extract(path, func_name):
    with open(path) as f:  # universal newlines, as inspect.getsource
        text = f.read()
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as e:
        raise Problem(e.lineno, 'syntax error: %s' % e.msg)
    except (ValueError, RecursionError, MemoryError) as e:
        raise Problem(None, 'cannot be parsed: %s' % (str(e) or
                                                      type(e).__name__))
    found, names = None, []
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
    scope = Scope(tree)
    warnings = []
    if scope.future_annotations:
        warnings.append('%s: "from __future__ import annotations" makes every '
                        'annotation a string: kfp 1.8 reads them as type '
                        'names, not as InputPath/OutputPath/NamedTuple'
                        % path)
    source = strip_annotations(function_source(text.split('\n'), node))

    args = node.args
    positional = list(args.posonlyargs) + list(args.args)
    defaults = [None] * (len(positional) - len(args.defaults)) + list(
        args.defaults)
    params = list(zip(positional, defaults)) + list(
        zip(args.kwonlyargs, args.kw_defaults))
    for extra in (args.vararg, args.kwarg):
        if extra is not None:
            raise Problem(node.lineno, '%s, parameter %r: *args and **kwargs '
                          'cannot be component inputs' % (where, extra.arg))

    description, docs = parse_docstring(ast.get_docstring(node))
    inputs, outputs, in_names, out_names = [], [], set(), set()
    for arg, default in params:
        pwhere = '%s, parameter %r' % (where, arg.arg)
        ann = strip_optional(Annotations(scope, pwhere).build(arg.annotation))
        io_name, style = arg.arg, 'value'
        if isinstance(ann, _Marker):
            if isinstance(ann, (InputPath, OutputPath)) and \
                    io_name.endswith('_path'):
                io_name = io_name[:-len('_path')]
            if io_name.endswith('_file'):
                io_name = io_name[:-len('_file')]
            style = ann.style
            if default is not None and not (
                    isinstance(ann, InputPath) and is_none(default)):
                raise Problem(arg.lineno, '%s: path inputs only support '
                              'default values of None; outputs take no '
                              'default' % pwhere)
            is_output = ann.output
            ann = ann.type
        else:
            is_output = False
        ts = type_struct(ann)
        try:
            json.dumps(encode_type(ts))
        except (TypeError, ValueError):
            raise Problem(arg.lineno, '%s: the type %r is not a literal '
                          'mapping' % (pwhere, ts))
        port = {'param': arg.arg, 'type': encode_type(ts), 'style': style,
                'description': docs.get(arg.arg)}
        if is_output:
            port['name'] = unique(io_name, out_names)
            out_names.add(port['name'])
            outputs.append(port)
            continue
        port['name'] = unique(io_name, in_names)
        in_names.add(port['name'])
        port['optional'] = default is not None
        port['default'] = None
        if default is not None:
            value = default_value(default, scope, pwhere)
            if value is not None:
                outer = list(ts.keys())[0] if isinstance(ts, dict) else ts
                try:
                    port['default'] = serialize_value(value, outer)
                except Exception as e:
                    warnings.append('%s:%d: could not serialize the default '
                                    'value of the parameter "%s" (kfp 1.8 '
                                    'writes none either). %s' % (
                                        path, default.lineno, arg.arg, e))
        inputs.append(port)

    returns = ''
    rwhere = '%s, the return annotation' % where
    ret = Annotations(scope, rwhere).build(node.returns)
    if hasattr(ret, '_fields'):
        returns = 'tuple'
        fields = getattr(ret, '__annotations__', None) or getattr(
            ret, '_field_types', None)
        for field in ret._fields:
            ts = type_struct(fields.get(field, None)) if fields else None
            name = unique(field, out_names)
            out_names.add(name)
            outputs.append({'name': name, 'param': None, 'style': 'return',
                            'type': encode_type(ts), 'description': None})
    elif isinstance(ret, dict):
        raise Problem(node.lineno, '%s: a dict of outputs is not supported; '
                      'return a NamedTuple' % rwhere)
    elif ret is not None and ret is not inspect.Parameter.empty:
        returns = 'single'
        name = unique('Output', out_names)
        out_names.add(name)
        outputs.append({'name': name, 'param': None, 'style': 'return',
                        'type': encode_type(type_struct(ret)),
                        'description': None})

    cname = component_name(func_name)
    if cname is None:
        raise Problem(node.lineno, '%s: its name gives an empty component '
                      'name' % where)
    return {
        'name': func_name,
        'componentName': cname,
        'description': description,
        'source': source,
        'progRepr': repr(cname),
        'descriptionRepr': repr(description or ''),
        'returns': returns,
        'inputs': inputs,
        'outputs': outputs,
        'warnings': warnings,
    }


def is_none(node):
    return isinstance(node, ast.Constant) and node.value is None


def default_value(node, scope, where):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if isinstance(node, ast.Name) and node.id in scope.constants:
        return scope.constants[node.id]
    raise Problem(node.lineno, '%s: the default %r is not a literal (nor a '
                  'module-level constant): the file is not run, so write '
                  'the value itself' % (where, ast.unparse(node)))


def main(argv):
    if len(argv) != 3:
        sys.stderr.write('usage: signature_v1.py FILE FUNCTION\n')
        return 2
    path, func = argv[1], argv[2]
    try:
        result = extract(path, func)
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
