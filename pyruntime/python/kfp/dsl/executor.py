"""The component executor: builds the user function's arguments from an
ExecutorInput, calls it and writes the ExecutorOutput file (FORMAT.md §6.3)."""

import inspect
import json
import os
import typing
import warnings

from kfp.dsl import executor_context
from kfp.dsl.task_config import TaskConfig
from kfp.dsl.task_final_status import PipelineTaskFinalStatus
from kfp.dsl.types import artifact_types
from kfp.dsl.types import type_annotations as ta

_CHIEF_TASK_TYPES = ('chief', 'master', 'workerpool0')

_SIMPLE_TYPES = {
    'str': str, 'string': str, 'text': str, 'int': int, 'integer': int,
    'float': float, 'double': float, 'bool': bool, 'boolean': bool,
    'dict': dict, 'jsonobject': dict, 'list': list, 'jsonarray': list,
}


def _legacy_value(v):
    """Decodes the deprecated typed ``inputs.parameters`` Value."""
    if not isinstance(v, dict):
        return v
    if 'stringValue' in v:
        return v['stringValue']
    if 'intValue' in v:
        return int(v['intValue'])
    if 'doubleValue' in v:
        return float(v['doubleValue'])
    return v


def _choose_class(schema_title, annotated):
    known = artifact_types.SCHEMA_TITLE_TO_CLASS.get(schema_title)
    if annotated is not None and artifact_types.is_artifact_class(annotated):
        if known is None or issubclass(annotated, known):
            return annotated
    return known or annotated or artifact_types.Artifact


def _artifact_from_runtime(rt, annotated):
    rt = rt or {}
    title = (rt.get('type') or {}).get('schemaTitle')
    cls = _choose_class(title, annotated)
    art = artifact_types.make_artifact(cls, rt.get('name') or '',
                                       rt.get('uri') or '',
                                       dict(rt.get('metadata') or {}))
    custom = rt.get('customPath') or rt.get('custom_path')
    if custom:
        art.custom_path = custom
    return art


def _artifact_dict(art):
    to_out = getattr(art, '_to_executor_output', None)
    if callable(to_out):
        return to_out()
    out = {
        'name': getattr(art, 'name', '') or '',
        'uri': getattr(art, 'uri', '') or '',
        'metadata': artifact_types.json_safe(getattr(art, 'metadata', {}) or
                                             {}),
    }
    if getattr(art, 'custom_path', None):
        out['custom_path'] = art.custom_path
    return out


def _makedirs_for(path):
    parent = os.path.dirname(path) if path else ''
    if parent:
        os.makedirs(parent, exist_ok=True)


def _is_pydantic_model(t):
    return isinstance(t, type) and callable(getattr(t, 'model_validate',
                                                    None))


def _is_namedtuple_class(t):
    return isinstance(t, type) and issubclass(t, tuple) and hasattr(
        t, '_fields')


def _is_named(t, cls):
    return t is cls or (isinstance(t, type) and
                        (issubclass(t, cls) or t.__name__ == cls.__name__))


class Executor(object):
    """Runs one user function against one ExecutorInput."""

    def __init__(self, executor_input, function):
        self.func = function
        inputs = executor_input.get('inputs') or {}
        outputs = executor_input.get('outputs') or {}
        self.params = {}
        for k, v in (inputs.get('parameters') or {}).items():
            self.params[k] = _legacy_value(v)
        self.params.update(inputs.get('parameterValues') or {})
        self.input_artifacts = inputs.get('artifacts') or {}
        self.output_params = outputs.get('parameters') or {}
        self.output_file = outputs.get('outputFile')
        if not self.output_file:
            raise ValueError(
                'executor input has no outputs.outputFile; it is required')
        executor_context.set_task_root(os.path.dirname(self.output_file))
        executor_context.set_module_globals(getattr(function, '__globals__',
                                                    None))
        self.signature = inspect.signature(function)
        self.annotations = dict(
            (name, self._resolve(p.annotation))
            for name, p in self.signature.parameters.items())
        self.return_annotation = self._resolve(
            self.signature.return_annotation)
        self.output_artifacts = {}
        self.parameter_outputs = {}
        self._make_output_artifacts(outputs.get('artifacts') or {})

    # ----------------------------------------------------------- setup

    def _resolve(self, annotation):
        if annotation is inspect.Parameter.empty:
            return None
        if isinstance(annotation, str):
            ns = dict(vars(typing))
            ns.update(getattr(self.func, '__globals__', {}) or {})
            try:
                return eval(annotation, ns)  # noqa: S307
            except Exception:
                return annotation
        return annotation

    def _declared_output_class(self, name):
        """Artifact class the function declares for output ``name``."""
        ann = self.annotations.get(name)
        if isinstance(ann, ta.OutputPath):
            found = ta.artifact_class_of(ann.type)
            return found[0] if found else None
        parts = ta.annotated_parts(ta.strip_optional(ann))
        if parts and parts[1] is ta.OUTPUT_MARKER:
            found = ta.artifact_class_of(parts[0])
            return found[0] if found else None
        ret = ta.strip_optional(self.return_annotation)
        if _is_namedtuple_class(ret):
            ret = getattr(ret, '__annotations__', {}).get(name)
        elif name != 'Output':
            return None
        found = ta.artifact_class_of(ret) if ret is not None else None
        return found[0] if found else None

    def _make_output_artifacts(self, specs):
        for name, spec in specs.items():
            entries = (spec or {}).get('artifacts') or []
            if not entries:
                continue
            art = _artifact_from_runtime(entries[0],
                                         self._declared_output_class(name))
            if not art.name:
                art.name = name
            _makedirs_for(art.path)
            self.output_artifacts[name] = art
        for spec in self.output_params.values():
            _makedirs_for((spec or {}).get('outputFile'))

    # ------------------------------------------------------- arguments

    def _input_artifacts(self, name, annotated_cls, as_list):
        entries = (self.input_artifacts.get(name) or {}).get('artifacts')
        if not entries:
            # An explicitly empty list (e.g. nothing collected) is passed on.
            if as_list and entries is not None:
                return []
            return None
        arts = [_artifact_from_runtime(e, annotated_cls) for e in entries]
        return arts if as_list else arts[0]

    def _output_artifact(self, name):
        if name not in self.output_artifacts:
            raise ValueError(
                'output artifact %r is not provided in executor input '
                'outputs.artifacts' % name)
        return self.output_artifacts[name]

    def _input_path(self, name):
        entries = (self.input_artifacts.get(name) or {}).get('artifacts')
        if entries:
            return _artifact_from_runtime(entries[0], None).path
        if name in self.params:
            value = self.params[name]
            path = os.path.join(
                os.path.dirname(self.output_file), '.inputs', name)
            _makedirs_for(path)
            with open(path, 'w') as f:
                f.write(value if isinstance(value, str) else json.dumps(value))
            return path
        return None

    def _output_path(self, name):
        spec = self.output_params.get(name)
        if spec is not None:
            path = spec.get('outputFile')
            if not path:
                raise ValueError('output parameter %r has no outputFile' %
                                 name)
            _makedirs_for(path)
            return path
        if name in self.output_artifacts:
            return self.output_artifacts[name].path
        raise ValueError('output %r is neither an output parameter nor an '
                         'output artifact in the executor input' % name)

    def _embedded_input(self, name, inner):
        g = getattr(self.func, '__globals__', {}) or {}
        path = g.get('__KFP_EMBEDDED_ASSET_FILE') or g.get(
            '__KFP_EMBEDDED_ASSET_DIR')
        if not path:
            raise ValueError('parameter %r is an EmbeddedInput but the '
                             'component has no embedded asset' % name)
        found = ta.artifact_class_of(inner)
        cls = found[0] if found else artifact_types.Artifact
        return artifact_types.make_artifact(cls, name, path, {})

    def _argument(self, name, param):
        """Returns (present, value) for one function parameter."""
        ann = self.annotations.get(name)
        no_default = param.default is inspect.Parameter.empty
        if isinstance(ann, ta.InputPath):
            path = self._input_path(name)
            return path is not None, path
        if isinstance(ann, ta.OutputPath):
            return True, self._output_path(name)
        ann = ta.strip_optional(ann)
        parts = ta.annotated_parts(ann)
        if parts:
            inner, marker = parts
            if marker is ta.OUTPUT_MARKER:
                return True, self._output_artifact(name)
            if marker is ta.EMBEDDED_MARKER:
                return True, self._embedded_input(name, inner)
            found = ta.artifact_class_of(inner) or (artifact_types.Artifact,
                                                    False)
            value = self._input_artifacts(name, found[0], found[1])
            return value is not None, value
        if _is_named(ann, PipelineTaskFinalStatus):
            if name in self.params:
                return True, PipelineTaskFinalStatus.from_dict(
                    self.params[name])
            return no_default, PipelineTaskFinalStatus()
        if _is_named(ann, TaskConfig):
            if name in self.params:
                return True, TaskConfig.from_dict(self.params[name])
            return no_default, TaskConfig()
        found = ta.artifact_class_of(ann) if ann is not None else None
        if found or (name in self.input_artifacts and name not in self.params):
            cls, as_list = found or (artifact_types.Artifact, False)
            value = self._input_artifacts(name, cls, as_list)
            return value is not None, value
        if name not in self.params:
            return False, None
        value = self.params[name]
        if _is_pydantic_model(ann) and value is not None:
            value = ann.model_validate(value)
        return True, value

    def _arguments(self):
        kwargs = {}
        for name, param in self.signature.parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            present, value = self._argument(name, param)
            if present:
                kwargs[name] = value
        return kwargs

    # ---------------------------------------------------------- return

    def _check_param(self, key, ann, value):
        t = ta.strip_optional(ann)
        if isinstance(t, str):
            t = _SIMPLE_TYPES.get(t.lower(), t)
        if t is None or t is typing.Any:
            return value
        if _is_pydantic_model(t):
            if not isinstance(value, t):
                self._type_error(key, t, value)
            return value.model_dump(mode='json', by_alias=True)
        origin = getattr(t, '__origin__', None) or t
        if not isinstance(origin, type):
            return value
        if isinstance(value, origin):
            return value
        if origin is float and isinstance(value, int) and \
                not isinstance(value, bool):
            return value
        self._type_error(key, t, value)

    def _type_error(self, key, t, value):
        raise TypeError(
            'Function %r returned a value of type %r for output %r, but the '
            'declared type is %s (value: %r)' %
            (self.func.__name__, type(value).__name__, key, ta.type_name(t),
             value))

    def _handle_output(self, key, ann, value):
        if value is None:
            if ann is not None and not ta.is_optional(ann):
                warnings.warn('Function %r returned None for output %r; no '
                              'value is recorded' % (self.func.__name__, key))
            return
        t = ta.strip_optional(ann)
        parts = ta.annotated_parts(t)
        if parts:
            t = parts[0]
        found = ta.artifact_class_of(t) if t is not None else None
        if artifact_types.is_artifact(value):
            if not getattr(value, 'name', ''):
                value.name = key
            self.output_artifacts[key] = value
            return
        if found or (t is None and key in self.output_artifacts and
                     key not in self.output_params):
            art = self._output_artifact(key)
            _makedirs_for(art.path)
            with open(art.path, 'w') as f:
                f.write(str(value))
            return
        value = self._check_param(key, t, value)
        self.parameter_outputs[key] = artifact_types.json_safe(value)

    def _handle_return(self, result):
        ann = ta.strip_optional(self.return_annotation)
        if result is None:
            if ann is not None and ann is not type(None) and \
                    not ta.is_optional(self.return_annotation):
                warnings.warn('Function %r returned None; no output recorded'
                              % self.func.__name__)
            return
        if ann is None:
            return  # no declared outputs: the result is ignored
        if _is_namedtuple_class(ann):
            cls = ann
            fields = list(cls._fields)
            hints = getattr(cls, '__annotations__', {}) or {}
            is_plain = not hasattr(result, '_fields')
            if is_plain and len(result) != len(fields):
                raise ValueError(
                    'Function %r returned %d values but its NamedTuple has '
                    '%d fields %r' % (self.func.__name__, len(result),
                                      len(fields), fields))
            for i, field in enumerate(fields):
                value = result[i] if is_plain else getattr(result, field)
                self._handle_output(field, self._resolve(hints.get(field)),
                                    value)
            return
        self._handle_output('Output', self.return_annotation, result)

    # ----------------------------------------------------------- output

    def _is_chief(self):
        spec = os.environ.get('CLUSTER_SPEC')
        if not spec:
            return True
        try:
            task_type = (json.loads(spec).get('task') or {}).get('type')
        except (ValueError, AttributeError):
            return True
        return task_type is None or task_type in _CHIEF_TASK_TYPES

    def write_executor_output(self):
        out = {}
        if self.parameter_outputs:
            out['parameterValues'] = self.parameter_outputs
        if self.output_artifacts:
            out['artifacts'] = dict(
                (name, {'artifacts': [_artifact_dict(a)]})
                for name, a in self.output_artifacts.items())
        if not self._is_chief():
            print('[sluice-kfp] not the chief worker; skipping executor '
                  'output')
            return out
        _makedirs_for(self.output_file)
        with open(self.output_file, 'w') as f:
            json.dump(out, f)
        print('[sluice-kfp] wrote executor output to %s' % self.output_file)
        return out

    def execute(self):
        kwargs = self._arguments()
        result = self.func(**kwargs)
        self._handle_return(result)
        return self.write_executor_output()
